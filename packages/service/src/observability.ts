import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ServiceMetrics } from '@bazaar/telemetry';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Logger } from './logger';

/**
 * The response a request's context answers on, so Apollo's hooks can label the HTTP answer. A
 * property, not a WeakMap entry: Apollo hands resolvers and plugins a shallow copy of the context.
 */
const RESPONSE = Symbol('bazaar.response');
/** The operation each answered GraphQL request ran (for the access log and the server span). */
const operationOfResponse = new WeakMap<ServerResponse, string>();

export function bindContextToResponse<Context extends object>(contextValue: Context, response: ServerResponse): Context {
  (contextValue as { [RESPONSE]?: ServerResponse })[RESPONSE] = response;
  return contextValue;
}

export const operationNameOf = (response: ServerResponse): string | undefined => operationOfResponse.get(response);

/**
 * How a request is named in logs, spans and metrics: its operation name, else its first root field
 * (`placeOrder`), which the schema bounds. Client-chosen names are cut short.
 */
function operationLabel(operationName: string | null | undefined, operation: OperationDefinitionNode | undefined): string {
  if (operationName) return operationName.slice(0, 64);
  const first = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  return first?.kind === Kind.FIELD ? first.name.value : 'anonymous';
}

/**
 * Names each operation (on its HTTP response, for the access log and the server span) and counts
 * it: requests by operation and outcome code, errors by code, latency.
 */
export function operationObservingPlugin<Context extends BaseContext>(metrics: ServiceMetrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let label = 'unparsed';
      return {
        async didResolveOperation({ operationName, operation, contextValue }) {
          label = operationLabel(operationName, operation);
          const response = (contextValue as { [RESPONSE]?: ServerResponse })[RESPONSE];
          if (response) operationOfResponse.set(response, label);
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          metrics.request(label, codes, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

/** One line when the answer has gone out: what ran, how it ended, how long it took, and the ids to find it by. */
export function logAccess(log: Pick<Logger, 'info'>, request: IncomingMessage, response: ServerResponse, ids: { requestId: string; traceId: string | undefined; path: string }) {
  const started = performance.now();
  response.once('finish', () => {
    log.info(
      {
        method: request.method,
        path: ids.path,
        operationName: operationOfResponse.get(response) ?? null,
        status: response.statusCode,
        durationMs: Math.round(performance.now() - started),
        requestId: ids.requestId,
        ...(ids.traceId ? { traceId: ids.traceId } : {}),
      },
      'request',
    );
  });
}
