import { GraphQLError } from 'graphql';

/**
 * Codes a subgraph answers with a non-2xx status (REQUEST_TIMEOUT is sent as HTTP 503) that mean
 * "try again" to the client. @apollo/gateway turns every such answer into an anonymous
 * INTERNAL_SERVER_ERROR; the router passes these on as they were given, minus the subgraph's URL.
 */
const RETRYABLE_SUBGRAPH_CODES = new Set(['REQUEST_TIMEOUT', 'SERVICE_UNAVAILABLE', 'TOO_MANY_REQUESTS']);

interface SubgraphErrorBody {
  errors?: { message?: unknown; extensions?: Record<string, unknown> }[];
}

/** The subgraph's own retryable error from a failed response body, or undefined to keep the gateway's. */
export function retryableSubgraphError(body: unknown): GraphQLError | undefined {
  const first = (body as SubgraphErrorBody | undefined)?.errors?.[0];
  const code = first?.extensions?.code;
  if (typeof code !== 'string' || !RETRYABLE_SUBGRAPH_CODES.has(code)) return undefined;
  const { retryAfterSeconds, budgetMs } = first?.extensions ?? {};
  return new GraphQLError(typeof first?.message === 'string' ? first.message : 'The service is briefly unavailable.', {
    extensions: { code, retryable: true, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }), ...(budgetMs !== undefined && { budgetMs }) },
  });
}
