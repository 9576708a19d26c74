import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  cleanInputPlugin,
  createHttpServer,
  createErrorFormatter,
  createLogger,
  handleGraphQL,
  listen,
  metricsRoute,
  operationObservingPlugin,
  requestBudgetPlugin,
  routeRequests,
  sendJson,
  type Logger,
  type RouteHandler,
  type RunningService,
  type ServiceModule,
} from '@bazaar/service';
import { ServiceMetrics, startTracing } from '@bazaar/telemetry';
import { loadRouterConfig, type RouterConfig } from './config';
import { allowedOrigins, createCors } from './cors';
import { createExplorer } from './explorer';
import { ForwardingDataSource, type RouterContext } from './data-source';
import { createSubgraphFetcher } from './subgraph-fetch';
import { deduplicating } from './subgraph-dedup';
import { withSingleFetchFastPath } from './single-fetch';
import { clientAddressOf, routerProtection } from './limits';
import { subgraphReadiness } from './readiness';

export { loadRouterConfig, type RouterConfig } from './config';
export * from './subgraphs';

const warnUnsigned = (logger: Logger) =>
  logger.warn('SUBGRAPH_SIGNING_SECRET is not set: subgraph calls go unsigned (development only)');

/** What the test harness starts in-process, found through the topology like every subgraph's. */
export const service: ServiceModule<RouterConfig> = {
  loadConfig: (env) => loadRouterConfig(env),
  start: (config) => startRouter(config),
};

/** The router: @apollo/gateway over the committed supergraph, with subgraph URLs from configuration. */
export async function startRouter(config: RouterConfig): Promise<RunningService> {
  startTracing({ service: 'router' });
  const logger = createLogger({ service: 'router', level: config.LOG_LEVEL, environment: config.NODE_ENV });
  const metrics = new ServiceMetrics('router');
  const development = config.NODE_ENV !== 'production';
  const edge = routerProtection(config);
  const httpServer = createHttpServer(edge.limits);
  if (!config.SUBGRAPH_SIGNING_SECRET) warnUnsigned(logger);
  const subgraphFetch = createSubgraphFetcher();
  const fetcher = config.SUBGRAPH_DEDUP ? deduplicating(subgraphFetch.fetcher) : subgraphFetch.fetcher;
  /** Where each subgraph is reached, as the gateway builds its data sources (for /ready). */
  const routed: Record<string, string> = {};
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(config.SUPERGRAPH_PATH, 'utf8'),
    buildService: ({ name, url }) => {
      routed[name] = config.subgraphUrls[name] ?? url ?? '';
      return new ForwardingDataSource({ url: routed[name], fetcher }, config.SUBGRAPH_SIGNING_SECRET);
    },
  });
  if (config.SINGLE_FETCH_PASS_THROUGH) {
    const answers = metrics.counter('bazaar_router_answers_total', 'GraphQL answers by how they were made: pass_through (one fetch whose answer is the client\'s) or gateway (shaped by @apollo/gateway)', ['path']);
    const passedThrough = answers.labels('pass_through');
    const shaped = answers.labels('gateway');
    withSingleFetchFastPath(gateway, (path) => (path === 'pass_through' ? passedThrough : shaped).inc());
  }
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: development,
    hideSchemaDetailsFromClientErrors: edge.hideSchemaDetailsFromClientErrors,
    includeStacktraceInErrorResponses: false,
    parseOptions: edge.protection.parseOptions,
    validationRules: edge.protection.validationRules,
    csrfPrevention: true,
    // runMain owns SIGINT/SIGTERM so shutdown happens once, in order.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter({
      onInternalError: (error) => logger.error({ err: error }, 'unexpected error in the router'),
      hiddenExtensions: edge.hiddenExtensions,
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // In development the router serves GraphiQL itself (explorer.ts), which needs no internet.
      development ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
      ...edge.protection.plugins,
      cleanInputPlugin,
      requestBudgetPlugin,
      operationObservingPlugin<RouterContext>(metrics),
    ],
  });
  await apollo.start();
  const cors = createCors(allowedOrigins(config.CORS_ORIGINS, config.NODE_ENV));
  const explorer = development ? createExplorer({ endpointPath: '/graphql' }) : undefined;

  const alive: RouteHandler = (_request, response) => sendJson(response, 200, { status: 'ok', service: 'router' });
  routeRequests(httpServer, {
    service: 'router',
    logger,
    accessLog: logger,
    routes: { '/health': alive, '/ready': subgraphReadiness(routed), '/metrics': metricsRoute(metrics) },
    intercept: (request, response, url) => cors.handle(request, response) || (explorer?.handle(request, response, url) ?? false),
    graphql: (request, response, requestId) =>
      handleGraphQL(
        apollo,
        request,
        response,
        async (signal) => ({
          requestId,
          clientAddress: clientAddressOf(request),
          signal,
          ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        }),
        { maxBodyBytes: edge.limits.maxBodyBytes, budgetMs: edge.limits.requestBudgetMs },
      ),
  });

  try {
    await listen(httpServer, config.ROUTER_PORT, config.HOST, 'router');
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}/graphql`;
  logger.info({ url }, 'router ready');
  let stopping: Promise<void> | undefined;
  return { name: 'router', url, port, logger, stop: () => (stopping ??= apollo.stop().finally(() => subgraphFetch.close())) };
}
