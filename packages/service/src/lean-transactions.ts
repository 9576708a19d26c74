import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * Raw SQL with bound parameters, as Prisma's client and its interactive transactions offer it
 * (tagged templates, or a `Prisma.sql` statement). Code that needs nothing else takes this, so it
 * runs in a Prisma transaction or in a lean one alike.
 */
export interface RawSql {
  $executeRaw(query: TemplateStringsArray | SqlStatement, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<Row = unknown>(query: TemplateStringsArray | SqlStatement, ...values: unknown[]): PromiseLike<Row>;
}

/** A `Prisma.sql` / `Prisma.raw` / `Prisma.join` statement or fragment: its strings and values. */
export interface SqlStatement {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

export interface LeanTransactionOptions {
  /** How long to wait for a pooled connection before giving up (as Prisma's maxWait). */
  maxWaitMs: number;
  /** How long the transaction may run; after that its next statement fails and it rolls back (as Prisma's timeout). */
  timeoutMs: number;
  /** Hears every statement, BEGIN and COMMIT included (tests count them, as with Prisma's query log). */
  onQuery?: (sql: string) => void;
}

/** What runs once the lean transaction around the code that asked has committed. */
const commitHooks = new AsyncLocalStorage<(() => void)[]>();

/**
 * Runs `hook` once the lean transaction this code runs in has committed, and never when it rolls
 * back: e.g. waking a request in this process that waits for what the transaction writes. A hook
must not throw (the transaction's caller would get the error of a committed transaction). Outside
 * a lean transaction (no transaction, or Prisma's) it runs at once, so a hook must be harmless
 * before a commit too (a waiter that looks and finds nothing new yet waits on).
 */
export function afterCommit(hook: () => void): void {
  const hooks = commitHooks.getStore();
  if (hooks) hooks.push(hook);
  else hook();
}

/**
 * A lean transaction's writes that nothing later in it reads (outbox rows): they are sent with
 * its COMMIT, in one round trip instead of one each, values inlined as literals.
 */
export interface CommitRider {
  $executeWithCommit(query: TemplateStringsArray, ...values: unknown[]): void;
}

export const ridesWithCommit = (tx: unknown): tx is CommitRider => typeof (tx as Partial<CommitRider>).$executeWithCommit === 'function';

/** Runs `work` in one transaction. */
export type LeanTransactions = <T>(work: (tx: RawSql) => Promise<T>) => Promise<T>;

/**
 * Transactions straight through node-postgres, past Prisma's interactive-transaction machinery
 * and query interpreter, for the hot paths that need only raw SQL (every event a consumer applies).
 * Measured here, Prisma's `$transaction` with two raw statements cost 650–840 µs of CPU against
 * 190–200 µs for the same four round trips through `pg` (docs/performance.md). Statements are
 * prepared once per connection (named by their text), so Postgres skips parsing and planning them.
 *
 * Values and rows follow Prisma's raw conventions, so the same SQL behaves the same in both:
 * Dates go as UTC instants, bigints and bigint arrays come back as `bigint`, timestamps without a
 * time zone are read as UTC, dates as UTC midnight, JSON parsed.
 */
export function leanTransactions(pool: pg.Pool, options: LeanTransactionOptions): LeanTransactions {
  const { onQuery } = options;
  return async <T>(work: (tx: RawSql) => Promise<T>): Promise<T> => {
    const client = await connect(pool, options.maxWaitMs);
    const startedAt = Date.now();
    let broken: Error | undefined;
    const inTime = () => {
      if (Date.now() - startedAt > options.timeoutMs) throw new TransactionTimeout(`The transaction ran longer than ${options.timeoutMs} ms and was rolled back.`);
    };
    const riders: string[] = [];
    const tx: RawSql & CommitRider = {
      ...rawSqlOn(client, onQuery, inTime),
      $executeWithCommit: (query, ...values) => void riders.push(inlined(query, values)),
    };
    const hooks: (() => void)[] = [];
    let result: T;
    try {
      onQuery?.('BEGIN');
      await client.query('BEGIN');
      result = await commitHooks.run(hooks, () => work(tx));
      inTime();
      for (const rider of riders) onQuery?.(rider);
      onQuery?.('COMMIT');
      // One simple-protocol query: a rider that fails stops it before the COMMIT, and the catch rolls back.
      await client.query([...riders, 'COMMIT'].join(';\n'));
    } catch (error) {
      onQuery?.('ROLLBACK');
      await client.query('ROLLBACK').catch((rollbackFailed: unknown) => {
        broken = rollbackFailed instanceof Error ? rollbackFailed : new Error(String(rollbackFailed));
      });
      throw error;
    } finally {
      // A connection whose rollback failed may be half-way through anything: it is closed, not reused.
      client.release(broken);
    }
    for (const hook of hooks) hook();
    return result;
  };
}

/**
 * Single statements on the pool, each its own transaction, the same way (for the hot mutations'
 * statements outside a transaction, e.g. an idempotency key's claim).
 */
export function leanSql(pool: pg.Pool, onQuery?: (sql: string) => void): RawSql {
  return rawSqlOn(pool, onQuery);
}

/** RawSql on a pool or one client: statements named by their text, values and rows as Prisma's. */
function rawSqlOn(target: pg.Pool | pg.PoolClient, onQuery: ((sql: string) => void) | undefined, beforeEach?: () => void): RawSql {
  const run = async (query: TemplateStringsArray | SqlStatement, values: unknown[]): Promise<pg.QueryResult> => {
    beforeEach?.();
    const { text, parameters } = toStatement(query, values);
    onQuery?.(text);
    return target.query({ name: statementName(text), text, values: parameters, types: PRISMA_LIKE_TYPES });
  };
  return {
    $executeRaw: async (query, ...values) => (await run(query, values)).rowCount ?? 0,
    $queryRaw: async <Row>(query: TemplateStringsArray | SqlStatement, ...values: unknown[]) => (await run(query, values)).rows as Row,
  };
}

/** A statement with its values as SQL literals (for the simple protocol, which has no parameters). */
function inlined(strings: TemplateStringsArray, values: readonly unknown[]): string {
  return strings.reduce((text, part, index) => (index === 0 ? part : `${text}${literal(values[index - 1])}${part}`), '');
}

/** A value as toParameter sends it, written out: numbers bare, everything else a quoted string. */
function literal(value: unknown): string {
  if (Array.isArray(value) || value instanceof Uint8Array) throw new TypeError('arrays cannot ride with a commit; bind them in a statement of their own');
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} has no SQL literal`);
    return String(value);
  }
  const parameter = toParameter(value);
  return parameter === null ? 'NULL' : pg.Client.prototype.escapeLiteral(String(parameter));
}

/**
 * No connection came in time, or the transaction ran past its limit (then it is rolled back). As
 * Prisma's transaction errors (P2028), it is transient: the work may be retried.
 */
export class TransactionTimeout extends Error {
  readonly code = 'P2028';
  constructor(message: string) {
    super(message);
    this.name = 'TransactionTimeout';
  }
}

async function connect(pool: pg.Pool, maxWaitMs: number): Promise<pg.PoolClient> {
  let timer: NodeJS.Timeout | undefined;
  const connecting = pool.connect();
  try {
    return await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TransactionTimeout(`No database connection became free within ${maxWaitMs} ms.`)), maxWaitMs);
      }),
    ]);
  } catch (error) {
    // A connection that arrives after the wait was given up goes straight back to the pool.
    void connecting.then((late) => late.release(), () => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const isStatement = (value: unknown): value is SqlStatement =>
  typeof value === 'object' && value !== null && Array.isArray((value as SqlStatement).strings) && Array.isArray((value as SqlStatement).values);

/** Flattens a tagged template with nested statements (Prisma.sql, raw, join) into `$n` text and its parameters. */
export function toStatement(query: TemplateStringsArray | SqlStatement, values: readonly unknown[]): { text: string; parameters: unknown[] } {
  const strings = isStatement(query) ? query.strings : query;
  const allValues = isStatement(query) ? query.values : values;
  const parameters: unknown[] = [];
  let text = '';
  const append = (parts: readonly string[], partValues: readonly unknown[]) => {
    text += parts[0] ?? '';
    partValues.forEach((value, index) => {
      if (isStatement(value)) append(value.strings, value.values);
      else {
        parameters.push(toParameter(value));
        text += `$${parameters.length}`;
      }
      text += parts[index + 1] ?? '';
    });
  };
  append(strings, allValues);
  return { text, parameters };
}

/** A value as Prisma sends it: instants in UTC, bigints and decimals as their digits, objects as JSON. */
function toParameter(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toParameter);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  if (typeof value === 'object' && typeof (value as { toFixed?: unknown }).toFixed === 'function') return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * Statement names by text: a prepared statement per distinct text and connection. Texts that vary
 * (a list spliced in with Prisma.join) could grow that without end, so past MAX_NAMED distinct
 * texts the rest go unnamed (parsed each time, as Prisma sends everything).
 */
const MAX_NAMED = 500;
const names = new Map<string, string>();
function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (!name && names.size < MAX_NAMED) {
    name = `lean_${createHash('sha1').update(text).digest('hex')}`;
    names.set(text, name);
  }
  return name;
}

const INT8 = 20;
const TEXT_ARRAY = 1009;
const INT8_ARRAY = 1016;
const TIMESTAMP = 1114;
const TIMESTAMP_ARRAY = 1115;
const TIMESTAMPTZ = 1184;
const DATE = 1082;

const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ as never, 'text') as (value: string) => Date;
const parseTextArray = pg.types.getTypeParser(TEXT_ARRAY as never, 'text') as (value: string) => (string | null)[];
const parseArray = (value: string, element: (item: string) => unknown): unknown[] =>
  parseTextArray(value).map((item) => (item === null ? null : element(item)));
const timestampAsUtc = (value: string): Date => parseTimestamptz(`${value}+00`);

/** Rows as Prisma's raw queries return them (see leanTransactions). */
const PRISMA_LIKE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    switch (oid) {
      case INT8:
        return (value: string) => BigInt(value);
      case INT8_ARRAY:
        return (value: string) => parseArray(value, (item) => BigInt(item));
      case TIMESTAMP:
        return timestampAsUtc;
      case TIMESTAMP_ARRAY:
        return (value: string) => parseArray(value, timestampAsUtc);
      case DATE:
        return (value: string) => new Date(`${value}T00:00:00Z`);
      default:
        return pg.types.getTypeParser(oid, format ?? 'text');
    }
  },
} as pg.CustomTypesConfig;
