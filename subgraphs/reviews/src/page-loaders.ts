import DataLoader from 'dataloader';
import { emptyConnection, type Connection } from '@bazaar/service';

/**
 * Loaders of one page (first, after, and any order) of many keys' lists (a book's or an author's
 * reviews, a seller's feedback), one loader per distinct page asked for in the request. `check`
 * refuses bad arguments (BAD_USER_INPUT) before anything is loaded.
 */
export function pageLoaders<Request extends { first: number; after?: string | null }, Node>(
  load: (keys: readonly string[], request: Request) => Promise<Map<string, Connection<Node>>>,
  check: (request: Request) => void,
) {
  const loaders = new Map<string, DataLoader<string, Connection<Node>>>();
  return (request: Request) => {
    check(request);
    const cacheKey = JSON.stringify(request);
    let loader = loaders.get(cacheKey);
    if (!loader) {
      loader = new DataLoader<string, Connection<Node>>(async (keys) => {
        const pages = await load(keys, request);
        return keys.map((key) => pages.get(key) ?? emptyConnection());
      });
      loaders.set(cacheKey, loader);
    }
    return loader;
  };
}
