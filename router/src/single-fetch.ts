import type { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { executeQueryPlan } from '@apollo/gateway/dist/executeQueryPlan.js';
import { buildOperationContext } from '@apollo/gateway/dist/operationContext.js';
import { operationFromDocument, type Operation, type Schema } from '@apollo/federation-internals';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { inSpan } from '@bazaar/telemetry';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getVariableValues, parse, type DocumentNode, type GraphQLSchema, type VariableDefinitionNode } from 'graphql';

/**
 * A plan that is one fetch to one subgraph whose selection is exactly the client's (the plain list,
 * a search without ratings or wishlist flags, a book by ISBN, `me`): the subgraph's own answer is
 * already the client's answer when it carries no errors, so the gateway's result shaping
 * (`computeResponse`) and its rebuilding of the operation for every request are skipped. Anything else — several fetches, entity fetches,
 * rewrites, a selection the planner changed (an added `__typename`), mutations, a request for the
 * query plan — takes the gateway's own path, as does shaping an answer with errors or a failed call:
 * that one is replayed through `executeQueryPlan` with the answer already received, so the subgraph
 * is still called once.
 */
type Route =
  | { kind: 'general' }
  | { kind: 'single'; queryPlan: QueryPlan; fetch: FetchNode; service: GraphQLDataSource; variableDefinitions: readonly VariableDefinitionNode[] };

const GENERAL: Route = { kind: 'general' };

/** What this module reads of the gateway beyond its public API (all set once the gateway has loaded). */
interface GatewayInternals {
  executor: GatewayExecutor;
  schema: GraphQLSchema;
  apiSchema: Schema;
  supergraphSchema: GraphQLSchema;
  config: { telemetry?: unknown };
  serviceMap: Record<string, { dataSource: GraphQLDataSource }>;
  experimental_didResolveQueryPlan?: (options: { queryPlan: QueryPlan; requestContext: GatewayGraphQLRequestContext }) => void;
}

type SubgraphAnswer = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** How an answer was made: the subgraph's passed through, or shaped by the gateway. */
export type AnswerPath = 'pass_through' | 'gateway';

export function withSingleFetchFastPath(gateway: ApolloGateway, onAnswer: (path: AnswerPath) => void = () => {}): void {
  const internals = gateway as unknown as GatewayInternals;
  if (typeof internals.executor !== 'function') throw new Error('@apollo/gateway no longer has an executor property: review router/src/single-fetch.ts');
  const general = internals.executor;
  /** Per parsed document (Apollo Server reuses one object per query text), per operation name. */
  const routes = new WeakMap<DocumentNode, Map<string, Route>>();

  const routeOf = (document: DocumentNode, operationName: string | undefined) => routes.get(document)?.get(operationName ?? '');

  internals.experimental_didResolveQueryPlan = ({ queryPlan, requestContext }) => {
    const { document, request } = requestContext;
    if (routeOf(document, request.operationName)) return;
    let byName = routes.get(document);
    if (!byName) routes.set(document, (byName = new Map()));
    byName.set(request.operationName ?? '', decide(internals, queryPlan, document, request.operationName));
  };

  /** The gateway's own shaping of an answer we already have (errors, or a call that failed). */
  const shapeAsGateway = (requestContext: GatewayGraphQLRequestContext, route: Extract<Route, { kind: 'single' }>, answer: () => Promise<SubgraphAnswer>) =>
    executeQueryPlan(
      route.queryPlan,
      { [route.fetch.serviceName]: { process: answer } },
      requestContext,
      buildOperationContext({ schema: internals.schema, operationDocument: requestContext.document, operationName: requestContext.request.operationName }),
      internals.supergraphSchema,
      internals.apiSchema,
      internals.config.telemetry as Parameters<typeof executeQueryPlan>[6],
    );

  internals.executor = async (requestContext) => {
    const route = routeOf(requestContext.document, requestContext.request.operationName);
    if (route?.kind !== 'single' || requestContext.request.http?.headers.has('apollo-query-plan-experimental')) {
      onAnswer('gateway');
      return general(requestContext);
    }
    const provided = requestContext.request.variables ?? {};
    // The gateway checks variable values before planning; a request that fails it gets its answer.
    if (route.variableDefinitions.length > 0 && getVariableValues(internals.schema, route.variableDefinitions, provided).errors) {
      onAnswer('gateway');
      return general(requestContext);
    }
    const { fetch, service } = route;
    const variables: Record<string, unknown> = Object.create(null);
    for (const name of fetch.variableUsages ?? []) if (provided[name] !== undefined) variables[name] = provided[name];
    let answer: SubgraphAnswer;
    try {
      // In place of the gateway's request/plan/execute/fetch spans (its path is not taken), one span.
      answer = await inSpan('router.pass_through', { attributes: { service: fetch.serviceName } }, () =>
        service.process({
          kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
          request: { query: fetch.operation, variables, operationName: fetch.operationName },
          incomingRequestContext: requestContext,
          context: requestContext.context,
          document: fetch.operationDocumentNode,
          pathInIncomingRequest: [],
        }),
      );
    } catch (error) {
      onAnswer('gateway');
      return shapeAsGateway(requestContext, route, () => Promise.reject(error));
    }
    if (!answer.errors && answer.data && typeof answer.data === 'object') {
      onAnswer('pass_through');
      return { data: answer.data };
    }
    onAnswer('gateway');
    return shapeAsGateway(requestContext, route, () => Promise.resolve(answer));
  };
}

function decide(internals: GatewayInternals, queryPlan: QueryPlan, document: DocumentNode, operationName: string | undefined): Route {
  const fetch = queryPlan.node;
  if (fetch?.kind !== 'Fetch' || fetch.operationKind !== 'query' || fetch.requires || fetch.hasDefers) return GENERAL;
  if (fetch.inputRewrites?.length || fetch.outputRewrites?.length || fetch.contextRewrites?.length) return GENERAL;
  const service = internals.serviceMap[fetch.serviceName]?.dataSource;
  if (!service) return GENERAL;
  try {
    const asked = operationFromDocument(internals.apiSchema, document, { operationName, validate: false });
    const sent = operationFromDocument(internals.apiSchema, parse(fetch.operation), { validate: false });
    // Normalised, fragments on the parent's own type are inlined and repeated fields merged, as
    // field collection does: the same text means the same answer, field for field, in order.
    if (asked.rootKind !== 'query' || shapeOf(asked) !== shapeOf(sent)) return GENERAL;
    const { operation } = buildOperationContext({ schema: internals.schema, operationDocument: document, operationName });
    return { kind: 'single', queryPlan, fetch, service, variableDefinitions: operation.variableDefinitions ?? [] };
  } catch {
    // A selection the API schema cannot read as it is (the planner's own additions): the gateway's path.
    return GENERAL;
  }
}

const shapeOf = (operation: Operation) => operation.expandAllFragments().normalize().selectionSet.toString(true, false);
