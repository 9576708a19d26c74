/*
 * Prisma's schema engine, run from WebAssembly so that migrations work without downloading the
 * native `schema-engine` binary (which every Prisma CLI command tries first, and which this
 * network cannot reach).
 *
 * Facts learned while building this (@prisma/schema-engine-wasm 8.1.0-2.59be4fda…, Prisma 7.10):
 * - The package's entry imports `./schema_engine_bg.wasm`, which Node cannot import. We compile the
 *   wasm file ourselves and hand it the `schema_engine_bg.js` exports as its only import module.
 * - The engine disposes a shadow database's adapter when it is done with it, but never the adapter
 *   of the main connection, and free() does not either: its pg pool must be ended by us or the
 *   process cannot exit. Disposal is made idempotent because pg throws on a second pool.end().
 * - It arms timers (a 10 s one in applyMigrations) that it never clears; they are unref'd here so
 *   they cannot keep the process alive for 10 s after a call.
 * - A Rust panic surfaces as an uncaught `RuntimeError: unreachable` (not as a rejection of the
 *   call), or as "Cannot read properties of undefined (reading 'set_message')" when the global
 *   PRISMA_WASM_PANIC_REGISTRY is missing; the panic message is only available through that global.
 * - The engine reads `pg_catalog` columns of Postgres's internal `"char"` type (OID 18), which
 *   @prisma/adapter-pg cannot map ("Column type 'char' could not be deserialized"). Relabelling
 *   OID 18 as text (25) gets past the adapter, but is NOT enough: as soon as the described
 *   database has constraints, the engine's describer panics ("Getting constraint_type … as char
 *   failed", sql-schema-describer/src/postgres.rs) because it wants a Character value. So those
 *   columns are also reported as ColumnTypeEnum.Character in the adapter's result set. Seen first
 *   with `diff` from migrations (the shadow database has tables); Postgres 18 also lists NOT NULL
 *   constraints in pg_constraint (contype 'n'), which the describer accepts.
 * - `diff` from a migrations folder replays it in a shadow database obtained through the
 *   adapter factory's connectToShadowDb(); we create and drop that database ourselves.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlQueryable,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { createDatabase, databaseUrl, dropDatabase } from './admin';

type SchemaEngineClass = typeof SchemaEngine;

/** The slice of the WebAssembly API used here; the project's `lib` setting has no wasm typings. */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let engineClass: Promise<SchemaEngineClass> | undefined;

/** The wasm code hands a Rust panic's message to this global just before it traps. */
interface PanicRegistry {
  set_message(message: string): void;
}

function installPanicRegistry(): void {
  const registry: PanicRegistry = {
    set_message(message) {
      // The trap that follows is a bare "RuntimeError: unreachable", raised outside the call's
      // promise; this is the only place the reason is known. The instance is unusable afterwards.
      process.stderr.write(`Prisma schema engine panicked: ${message}\n`);
      engineClass = undefined;
    },
  };
  (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry }).PRISMA_WASM_PANIC_REGISTRY = registry;
}

/**
 * The engine arms timers it never cancels (there is no clearTimeout import at all), e.g. a 10 s
 * one in applyMigrations; left referenced, each keeps Node alive for 10 s after the call.
 */
function withUnrefTimers(bindings: Record<string, unknown>): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bindings };
  for (const name of Object.keys(imports).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
    imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
  }
  return imports;
}

async function instantiateEngine(): Promise<SchemaEngineClass> {
  installPanicRegistry();
  const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const require = createRequire(import.meta.url);
  const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
  const module = await wasm.compile(await readFile(wasmPath));
  const instance = new wasm.Instance(module, { './schema_engine_bg.js': withUnrefTimers(bg) });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bg.SchemaEngine;
}

/** Compiles the 5 MB wasm module on first use only. */
function loadSchemaEngine(): Promise<SchemaEngineClass> {
  engineClass ??= instantiateEngine().catch((error: unknown) => {
    engineClass = undefined;
    throw error;
  });
  return engineClass;
}

const CHAR_OID = 18;
const TEXT_OID = 25;

/**
 * Result rows of queries that returned `"char"` columns, with those columns' positions. The row
 * array is the one object that travels unchanged from pg's result to the adapter's result set, so
 * it links the two without any per-connection state.
 */
const charColumnsByRows = new WeakMap<object, number[]>();

function relabelCharColumns<T>(result: T): T {
  for (const part of Array.isArray(result) ? result : [result]) {
    const { fields, rows } = (part ?? {}) as { fields?: { dataTypeID: number }[]; rows?: unknown };
    const positions: number[] = [];
    fields?.forEach((field, index) => {
      if (field.dataTypeID === CHAR_OID) {
        field.dataTypeID = TEXT_OID;
        positions.push(index);
      }
    });
    if (positions.length > 0 && typeof rows === 'object' && rows !== null) charColumnsByRows.set(rows, positions);
  }
  return result;
}

type QueryCallback = (error: Error | null, result: unknown) => void;

/** A pg client whose results never expose the `"char"` type to the Prisma adapter. */
class CharAsTextClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    const patched = (...args: unknown[]): unknown => {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: Error | null, result: unknown) =>
          (callback as QueryCallback)(error, error ? result : relabelCharColumns(result));
        return query(...args);
      }
      const returned = query(...args);
      return returned instanceof Promise ? returned.then(relabelCharColumns) : returned;
    };
    this.query = patched as pg.Client['query'];
  }
}

/** Gives the engine `"char"` columns back as Character, which its catalog reader insists on. */
function restoreCharColumns<Q extends SqlQueryable>(queryable: Q): Q {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const index of charColumnsByRows.get(result.rows) ?? []) result.columnTypes[index] = ColumnTypeEnum.Character;
    return result;
  };
  return queryable;
}

/**
 * @prisma/adapter-pg runs a migration script by splitting it on every `;`, which breaks any
 * statement with a semicolon inside, such as a PL/pgSQL function body. Prisma's native engine
 * sends the script whole, and so do we: one simple-protocol query accepts many statements.
 */
function sendScriptsWhole(adapter: SqlDriverAdapter): void {
  const pool = (adapter as unknown as { client?: pg.Pool }).client;
  if (!(pool instanceof pg.Pool)) throw new Error('@prisma/adapter-pg changed: its pg pool is no longer reachable');
  adapter.executeScript = async (script) => {
    await pool.query(script);
  };
}

function wrapAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  restoreCharColumns(adapter);
  sendScriptsWhole(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => restoreCharColumns(await startTransaction(isolationLevel));
  return adapter;
}

function poolConfig(url: string): pg.PoolConfig {
  return { connectionString: url, Client: CharAsTextClient, max: 4 };
}

/** Engine log lines are JSON tracing events that carry whole migration scripts; keep the message. */
function engineLogMessage(line: string): string {
  try {
    const event = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    const message = event.fields?.message;
    if (typeof message === 'string') return `schema engine ${event.level ?? 'INFO'}: ${message}`;
  } catch {
    // Not JSON: pass it on as it is.
  }
  return line.trim();
}

export interface SchemaEngineSession {
  /** Database the engine works on. */
  url: string;
  /** Superuser URL on which a temporary shadow database may be created. */
  shadowAdminUrl?: string;
  log?: (msg: string) => void;
}

/**
 * Runs `fn` with a fresh engine and releases everything it opened afterwards: the engine itself,
 * its pg pools and any shadow database.
 */
export async function withSchemaEngine<T>(session: SchemaEngineSession, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const Engine = await loadSchemaEngine();
  const adapters: SqlDriverAdapter[] = [];
  const shadowDatabases: string[] = [];

  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    wrapAdapter(adapter);
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => (disposed ??= dispose());
    adapters.push(adapter);
    return adapter;
  };

  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: async () => track(await new PrismaPg(poolConfig(session.url)).connect()),
    connectToShadowDb: async () => {
      const adminUrl = session.shadowAdminUrl;
      if (!adminUrl) throw new Error('This operation needs a shadow database, but no shadowAdminUrl was given');
      const name = `bazaar_shadow_${randomUUID().replaceAll('-', '')}`;
      await createDatabase(adminUrl, name);
      shadowDatabases.push(name);
      return track(await new PrismaPg(poolConfig(databaseUrl(adminUrl, name))).connect());
    },
  };

  const log = session.log;
  const onEngineLog = (line: string) => {
    if (log) log(engineLogMessage(line));
  };
  let engine: SchemaEngine | undefined;
  try {
    engine = await Engine.new({ datamodels: undefined }, onEngineLog, bindMigrationAwareSqlAdapterFactory(factory));
    return await fn(engine);
  } finally {
    engine?.free();
    await Promise.allSettled(adapters.map((adapter) => adapter.dispose()));
    if (session.shadowAdminUrl) {
      for (const name of shadowDatabases) await dropDatabase(session.shadowAdminUrl, name);
    }
  }
}
