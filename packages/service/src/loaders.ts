import DataLoader from 'dataloader';

/** A request's loader of rows by id: one batched lookup, null for an id not found. */
export function loaderById<Row extends { id: string }>(find: (ids: readonly string[]) => Promise<Row[]>): DataLoader<string, Row | null> {
  return new DataLoader(async (ids) => {
    const found = new Map((await find(ids)).map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** A request's loader of one value per key from a batched lookup that answers a Map; `missing` for a key it leaves out. */
export function loaderByKey<Value, Missing = Value>(
  find: (keys: readonly string[]) => Promise<Map<string, Value>>,
  missing: Missing,
): DataLoader<string, Value | Missing> {
  return new DataLoader<string, Value | Missing>(async (keys) => {
    const found = await find(keys);
    return keys.map((key) => found.get(key) ?? missing);
  });
}
