import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import { ServiceMetrics, stopTracing } from '@bazaar/telemetry';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthState, TokenVerifier } from './auth';
import { ConfigError } from './config';
import { createErrorFormatter } from './errors';
import { createHttpServer, handleGraphQL, routeRequests, sendJson, type RouteHandler } from './http';
import { cleanInputPlugin } from './input';
import { operationObservingPlugin } from './observability';
import { queryLimitProtection, queryLimitsFrom, requestBudgetPlugin, type QueryLimitsConfig } from './limits';
import type { Logger } from './logger';
import { CLIENT_ADDRESS_HEADER, SIGNATURE_HEADER, verifySignature, type SigningConfig } from './signing';

/** What every resolver of every subgraph can count on. */
export interface RequestContext {
  requestId: string;
  /** Who is calling; a mutation that signs someone in replaces it for the rest of the request. */
  auth: AuthState;
  logger: Logger;
  /** Aborted when the request's time budget is spent or its answer was sent. */
  signal: AbortSignal;
  /** The caller's address: as the router vouched for it on a signed request, else the socket's peer. */
  clientAddress: string;
}

export interface SubgraphOptions<Context extends RequestContext> {
  name: string;
  /** The subgraph SDL (Federation 2). */
  schemaPath: string | URL;
  /** Generated resolver types are stricter than Apollo's map; any resolver object is accepted here. */
  resolvers: object;
  host: string;
  port: number;
  environment: 'development' | 'test' | 'production';
  /** Query limits, time budgets and the router's signing secret (the service's own configuration). */
  edge: QueryLimitsConfig & SigningConfig;
  logger: Logger;
  /** The service's Prometheus series, served on /metrics (a fresh set when not given). */
  metrics?: ServiceMetrics;
  verifier: TokenVerifier;
  /** Builds the per-request context (data loaders, domain services) on top of the shared one. */
  createContext(base: RequestContext): Context | Promise<Context>;
  /**
   * Throws when the service cannot serve (e.g. its database is unreachable). May return details
   * shown in the /ready answer, e.g. which consumer groups are still joining (eventReadiness).
   */
  checkReadiness(): Promise<void | Record<string, unknown>>;
  /** Extra GET routes, e.g. the users service's JWKS. */
  routes?: Record<string, RouteHandler>;
  /** Releases what the service holds (pools, consumers) after the HTTP server has drained. */
  onShutdown?(): Promise<void>;
}

export interface RunningService {
  name: string;
  url: string;
  port: number;
  logger: Logger;
  stop(): Promise<void>;
}

/** What each subgraph's `src/index.ts` exports as `service`, so launchers and tests start any of them alike. */
export interface ServiceModule<Config = unknown> {
  loadConfig(env: Record<string, string | undefined>): Config;
  start(config: Config): Promise<RunningService>;
}

export const loadSdl = (path: string | URL) => parse(readFileSync(path, 'utf8'));

export async function startSubgraph<Context extends RequestContext>(
  options: SubgraphOptions<Context>,
): Promise<RunningService> {
  const { logger } = options;
  const metrics = options.metrics ?? new ServiceMetrics(options.name);
  const development = options.environment !== 'production';
  const limits = queryLimitsFrom(options.edge);
  const protection = queryLimitProtection(limits);
  const httpServer = createHttpServer(limits);
  const secret = options.edge.SUBGRAPH_SIGNING_SECRET;
  if (!secret) {
    if (!development) throw new ConfigError(['SUBGRAPH_SIGNING_SECRET: required in production, so that only the router can call the service']);
    logger.warn('SUBGRAPH_SIGNING_SECRET is not set: accepting unsigned calls from anyone (development only)');
  }
  const schema = buildSubgraphSchema({ typeDefs: loadSdl(options.schemaPath), resolvers: options.resolvers as GraphQLResolverMap<unknown> });

  const requestLogging: ApolloServerPlugin<Context> = {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, errors }) {
          contextValue.logger.info(
            { operationName, durationMs: Math.round(performance.now() - started), errorCount: errors?.length ?? 0 },
            'graphql request',
          );
        },
      };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: development,
    // No "Did you mean …?" in production: suggestions map the schema for whoever probes it.
    hideSchemaDetailsFromClientErrors: !development,
    includeStacktraceInErrorResponses: false,
    parseOptions: protection.parseOptions,
    validationRules: protection.validationRules,
    csrfPrevention: true,
    // runMain owns SIGINT/SIGTERM so shutdown happens once, in order.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter({
      onInternalError: (error) => logger.error({ err: error }, 'unexpected error while resolving'),
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      development
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
      requestLogging,
      operationObservingPlugin<Context>(metrics),
      ...protection.plugins,
      cleanInputPlugin,
      requestBudgetPlugin,
      // Traces are only useful to Apollo Studio, which this deployment does not report to.
      ApolloServerPluginInlineTraceDisabled(),
      // No schema has @cacheControl hints and nothing caches the answers: the default plugin only
      // added a hook call to every resolved field (3 % of the books subgraph's CPU per request).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  const routes: Record<string, RouteHandler> = {
    '/health': (_request, response) => sendJson(response, 200, { status: 'ok', service: options.name }),
    '/ready': async (_request, response) => {
      try {
        const details = await options.checkReadiness();
        sendJson(response, 200, { status: 'ready', service: options.name, ...details });
      } catch (error) {
        logger.warn({ err: error }, 'readiness check failed');
        sendJson(response, 503, { status: 'unavailable', service: options.name });
      }
    },
    '/metrics': metricsRoute(metrics),
    ...options.routes,
  };

  routeRequests(httpServer, {
    service: options.name,
    logger,
    routes,
    graphql: async (request, response, requestId) => {
      const requestLogger = logger.child({ requestId });
      let signed = false;
      await handleGraphQL(
        apollo,
        request,
        response,
        async (signal) =>
          options.createContext({
            requestId,
            logger: requestLogger,
            auth: await options.verifier.authenticate(request.headers.authorization),
            signal,
            clientAddress: (signed && headerValue(request, CLIENT_ADDRESS_HEADER)) || request.socket.remoteAddress || 'unknown',
          }),
        {
          // Above the router's own limit: its requests also carry the entity representations it gathered.
          maxBodyBytes: limits.maxBodyBytes * 4,
          // A little under the router's budget, so the subgraph's own answer reaches it in time.
          budgetMs: Math.max(1, Math.floor(limits.requestBudgetMs * 0.9)),
          admit: (incoming, body) => {
            if (!secret) return undefined;
            const check = verifySignature(secret, headerValue(incoming, SIGNATURE_HEADER), {
              method: incoming.method ?? 'GET',
              body,
              clientAddress: headerValue(incoming, CLIENT_ADDRESS_HEADER) ?? '',
            });
            signed = check === 'valid';
            if (signed) return undefined;
            requestLogger.warn({ check }, 'refused a call not signed by the router');
            return { status: 401, code: 'UNAUTHENTICATED', message: 'Only the router may call this service.' };
          },
        },
      );
    },
  });

  await listen(httpServer, options.port, options.host, options.name);
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${options.host}:${port}/graphql`;
  logger.info({ url }, `${options.name} subgraph ready`);

  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    url,
    port,
    logger,
    stop: () =>
      (stopping ??= (async () => {
        await apollo.stop();
        await options.onShutdown?.();
        logger.info(`${options.name} stopped`);
      })()),
  };
}

/** Prometheus' scrape endpoint for a service's registry. */
export const metricsRoute =
  (metrics: ServiceMetrics): RouteHandler =>
  async (_request, response) => {
    const { contentType, body } = await metrics.exposition();
    response.writeHead(200, { 'content-type': contentType });
    response.end(body);
  };

const headerValue = (request: IncomingMessage, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

export class PortInUseError extends Error {}

export function listen(server: Server, port: number, host: string, name: string) {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(`${name}: port ${port} on ${host} is already in use`) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The start phases a service reports to `npm start`, which prints how long each took (`npm start -- --timings`). */
export type StartPhase = 'loaded' | 'consuming' | 'listening';

/** Tells the dev stack's launcher over its IPC channel that this process reached `phase`; nothing without that channel. */
export function reportStartPhase(phase: StartPhase): void {
  if (process.connected) process.send?.({ startPhase: phase, at: Date.now() });
}

/**
 * The body of every service's `main.ts`: start it, stop it cleanly on SIGTERM/SIGINT, and turn a
 * start-up failure (bad configuration, a port in use) into one readable line and exit code 1.
 */
export async function runMain(start: () => Promise<Pick<RunningService, 'logger' | 'stop'>>): Promise<void> {
  // main.ts calls this once every module it imports is loaded.
  reportStartPhase('loaded');
  let service: Pick<RunningService, 'logger' | 'stop'>;
  try {
    service = await start();
    reportStartPhase('listening');
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof PortInUseError ? error.message : error);
    process.exit(1);
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, 'shutting down');
    service
      .stop()
      .then(() => stopTracing())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        service.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Started by the dev stack over IPC: when the launcher goes away, so does the service.
  if (process.connected) process.on('disconnect', () => onSignal('SIGTERM'));
}
