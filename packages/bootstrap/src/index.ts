import type { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { ServiceMetrics, startTracing } from '@bazaar/telemetry';
import { observeServiceState, transportReadiness } from './observe';
import { EventConsumer, eventReadiness, IDLE_CONNECTION_MS, startEventBackbone, type EventBackbone, type EventTransport, type RelayLogger, type SqlRunner } from '@bazaar/events';
import {
  createLogger,
  leanReader,
  leanSql,
  leanTransactions,
  postgresAdapter,
  postgresPool,
  reportStartPhase,
  retryForAWhile,
  startSubgraph,
  tokenVerifierFromConfig,
  TRANSACTION_LIMITS,
  type BaseServiceConfig,
  type LeanReader,
  type LeanTransactions,
  type Logger,
  type RawSql,
  type RequestContext,
  type RouteHandler,
  type RunningService,
  type TokenVerifier,
} from '@bazaar/service';

/**
 * Limits of one event handler's transaction, the same for every consumer. Waiting a while is normal
 * (reservations of one listing queue on its row lock; payments calls its provider inside the
 * handler, PAYMENTS_PROVIDER_TIMEOUT_MS, 5 s by default), and both limits stay below the transports'
 * redelivery (30 s), so a handler gives up before its message is handed to another member.
 */
export const CONSUMER_TRANSACTION = { maxWait: 10_000, timeout: 20_000 } as const;

/** What a generated Prisma client's constructor is given. */
export interface PrismaClientOptions {
  adapter: PrismaPg;
  transactionOptions: typeof TRANSACTION_LIMITS;
  log?: { emit: 'event'; level: 'query' }[];
}

/** The part of a generated Prisma client the bootstrap uses. */
export interface PrismaClientLike<Tx> {
  $transaction<T>(work: (tx: Tx) => Promise<T>, options?: { maxWait?: number; timeout?: number }): Promise<T>;
  $executeRawUnsafe(query: string): Promise<number>;
  $disconnect(): Promise<void>;
}

/**
 * Builds a service's Prisma client with the shared transaction limits. With `onQuery` (tests only)
 * every SQL statement is reported, e.g. for the batching tests that count them.
 */
export function createPrismaClient<Db>(
  construct: (options: PrismaClientOptions) => Db,
  connection: string | pg.Pool,
  onQuery?: (sql: string) => void,
): Db {
  const options: PrismaClientOptions = { adapter: postgresAdapter(connection), transactionOptions: TRANSACTION_LIMITS };
  if (!onQuery) return construct(options);
  const db = construct({ ...options, log: [{ emit: 'event', level: 'query' }] });
  (db as unknown as { $on(event: 'query', listener: (event: { query: string }) => void): void }).$on('query', (event) => onQuery(event.query));
  return db;
}

/**
 * A service's event consumer (group: the service's name), each event applied in one transaction
 * with the shared limits. The transactions run straight through `pg` on the service's pool (lean
 * transactions: handlers write raw SQL), past Prisma's interactive transactions, which cost three
 * to four times the CPU for the one or two statements a handler runs (docs/performance.md).
 */
export function createServiceConsumer(options: {
  name: string;
  pool: pg.Pool;
  transport: EventTransport;
  logger: RelayLogger;
  metrics?: ServiceMetrics;
  /** Tests only: hears every statement. */
  onQuery?: (sql: string) => void;
  /** Tests only: wraps each transaction (e.g. to count those in flight). */
  wrapTransaction?: (transaction: LeanTransactions) => LeanTransactions;
}): EventConsumer<RawSql> {
  const { metrics } = options;
  const transaction = leanTransactions(options.pool, {
    maxWaitMs: CONSUMER_TRANSACTION.maxWait,
    timeoutMs: CONSUMER_TRANSACTION.timeout,
    onQuery: options.onQuery,
  });
  return new EventConsumer<RawSql>({
    consumer: options.name,
    transport: options.transport,
    logger: options.logger,
    ...(metrics ? { onOutcome: (type, outcome) => metrics.event(options.name, type, outcome) } : {}),
    transaction: options.wrapTransaction ? options.wrapTransaction(transaction) : transaction,
  });
}

/** Hooks for tests only; production code never passes them. */
export interface TestHooks {
  /** Called with every SQL statement Prisma sends (the batching tests count them). */
  onQuery?: (sql: string) => void;
  /** false: do not consume events (a second instance that only answers queries). */
  consume?: boolean;
}

export interface Stoppable {
  stop(): void | Promise<void>;
}

/** What the bootstrap has built when it asks the service to compose its own parts. */
export interface SubgraphKit<Config, Db> {
  config: Config;
  db: Db;
  events: EventBackbone;
  logger: Logger;
  /** The service's Prometheus series (served on /metrics), for counters of its own (throttling, reconciler). */
  metrics: ServiceMetrics;
  /** Whether demo data is wanted (SEED_DEMO_DATA outside production). */
  seedsDemoData: boolean;
  /** Hot reads past Prisma's interpreter, on the same pool (statements reported to testHooks.onQuery too). */
  reader: LeanReader;
  /** Hot writes past Prisma, on the same pool: single raw statements, and transactions with TRANSACTION_LIMITS. */
  sql: RawSql;
  transactions: LeanTransactions;
  /** Something to stop on shutdown (a sweeper, a pool), before the consumer; last owned, first stopped. */
  own<Resource extends Stoppable>(resource: Resource): Resource;
  /**
   * Demo data built on a projection that fills from other services' events, possibly after this
   * service started (when demo data is wanted): `fill` runs once the consumer runs, then every second
   * for ten minutes (`npm start` waits for the demo shelves); it must be idempotent. It reports
   * what it added, e.g. `{ lines: 3 }`.
   */
  fillDemoDataFromEvents(what: string, fill: () => Promise<Record<string, number>>): void;
}

/** The service's own parts, built from the kit. */
export interface SubgraphParts<Context> {
  /** Builds one request's context (domain services, data loaders) on top of the shared one. */
  context(base: RequestContext): Context;
  /** Registers the service's event handlers on its consumer (group: the service's name); they write raw SQL. */
  handlers?(consumer: EventConsumer<RawSql>): EventConsumer<RawSql>;
  /** Start-up work once events flow, before the server listens (e.g. demo data). */
  prepare?(): Promise<void>;
  /** Default: the keys from AUTH_JWKS_URL / AUTH_JWKS (the users service trusts its own keys directly). */
  verifier?: TokenVerifier;
  /** Extra GET routes, e.g. the users service's JWKS. */
  routes?: Record<string, RouteHandler>;
}

export type SubgraphConfig = BaseServiceConfig & { SEED_DEMO_DATA?: boolean };

export interface SubgraphRecipe<Config extends SubgraphConfig, Db extends PrismaClientLike<Tx>, Tx extends SqlRunner, Context extends RequestContext> {
  name: string;
  /** The subgraph SDL (Federation 2). */
  schemaPath: URL;
  /** Generated resolver types are stricter than Apollo's map; any resolver object is accepted here. */
  resolvers: object;
  config: Config;
  port: number;
  /** The service's own database: its tables, outbox and processed events. */
  databaseUrl: string;
  /** `(options) => new PrismaClient(options)` with the service's generated client. */
  prisma(options: PrismaClientOptions): Db;
  compose(kit: SubgraphKit<Config, Db>): SubgraphParts<Context> | Promise<SubgraphParts<Context>>;
  testHooks?: TestHooks;
}

/**
 * Starts a subgraph the way every service starts: logger, Prisma client, event backbone (outbox
 * relay and transport), the service's parts, its consumer, start-up work, then the HTTP server.
 * Readiness is a query on the service's database. Shutdown (and a failed start) releases in
 * reverse: HTTP server, owned resources, consumer, event backbone, database.
 */
export async function runSubgraph<Config extends SubgraphConfig, Db extends PrismaClientLike<Tx>, Tx extends SqlRunner, Context extends RequestContext>(
  recipe: SubgraphRecipe<Config, Db, Tx, Context>,
): Promise<RunningService> {
  const { name, config, testHooks = {} } = recipe;
  startTracing({ service: name });
  const logger = createLogger({ service: name, level: config.LOG_LEVEL, environment: config.NODE_ENV });
  const metrics = new ServiceMetrics(name);
  const pool = postgresPool(recipe.databaseUrl, { idleTimeoutMillis: IDLE_CONNECTION_MS });
  const db = createPrismaClient(recipe.prisma, pool, testHooks.onQuery);
  const owned: Stoppable[] = [];
  const demoFills: (() => void)[] = [];
  const seedsDemoData = config.SEED_DEMO_DATA === true && config.NODE_ENV !== 'production';
  let consumer: EventConsumer<RawSql> | undefined;
  let events: EventBackbone | undefined;
  const release = async () => {
    for (const resource of owned.reverse()) await resource.stop();
    await consumer?.stop();
    await events?.stop();
    await db.$disconnect();
  };

  try {
    const backbone = (events = await startEventBackbone({ service: name, databaseUrl: recipe.databaseUrl, config, logger }));
    const parts = await recipe.compose({
      config,
      db,
      events,
      logger,
      metrics,
      seedsDemoData,
      reader: leanReader(pool, testHooks.onQuery),
      sql: leanSql(pool, testHooks.onQuery),
      transactions: leanTransactions(pool, {
        maxWaitMs: TRANSACTION_LIMITS.maxWait,
        timeoutMs: TRANSACTION_LIMITS.timeout,
        onQuery: testHooks.onQuery,
      }),
      own: (resource) => {
        owned.push(resource);
        return resource;
      },
      fillDemoDataFromEvents: (what, fill) => {
        if (!seedsDemoData) return;
        const demo = retryForAWhile({ intervalMs: 1_000, forMs: 600_000 });
        owned.push(demo);
        demoFills.push(() =>
          demo.start(async () => {
            const added = await fill();
            if (Object.values(added).some((count) => count > 0)) logger.info(added, `demo ${what} filled`);
          }, (error) => logger.warn({ err: error }, `demo ${what} not filled`)),
        );
      },
    });
    if (parts.handlers && testHooks.consume !== false) {
      consumer = parts.handlers(createServiceConsumer({ name, pool, transport: events.transport, logger, metrics, onQuery: testHooks.onQuery }));
      await consumer.start();
      reportStartPhase('consuming');
    }
    observeServiceState(metrics, { pool, transport: backbone.transport, consumer });
    for (const start of demoFills) start();
    await parts.prepare?.();
    return await startSubgraph<Context>({
      name,
      schemaPath: recipe.schemaPath,
      resolvers: recipe.resolvers,
      host: config.HOST,
      port: recipe.port,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      metrics,
      verifier: parts.verifier ?? tokenVerifierFromConfig(config),
      createContext: (base) => parts.context(base),
      checkReadiness: async () => {
        await db.$executeRawUnsafe('SELECT 1');
        return { database: 'ok', eventTransport: await transportReadiness(backbone.transport, consumer), ...(consumer ? eventReadiness([consumer]) : {}) };
      },
      ...(parts.routes ? { routes: parts.routes } : {}),
      onShutdown: release,
    });
  } catch (error) {
    await release();
    throw error;
  }
}
