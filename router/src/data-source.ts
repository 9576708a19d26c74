import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { retryableSubgraphError } from './subgraph-errors';
import { signSubgraphRequest } from './signing';

export interface RouterContext {
  requestId: string;
  authorization?: string;
  clientAddress: string;
  signal: AbortSignal;
}

type SubgraphRequest = GraphQLDataSourceProcessOptions<RouterContext>['request'];

/** Headers the router passes on to every subgraph: who is calling, and which request this is; signed. */
export class ForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    options: ConstructorParameters<typeof RemoteGraphQLDataSource<RouterContext>>[0],
    private readonly signingSecret: string | undefined,
  ) {
    super(options);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    request.http?.headers.set('x-request-id', context.requestId);
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (this.signingSecret) signSubgraphRequest({ request }, this.signingSecret, context.clientAddress ?? '');
  }

  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]) {
    const error = await super.errorFromResponse(response);
    return retryableSubgraphError((error.extensions.response as { body?: unknown } | undefined)?.body) ?? error;
  }
}

/**
 * @apollo/gateway 2.x's `sendRequest` (private, so set on the prototype), minus the node-fetch
 * `Request` it builds for every subgraph call only to hand it to `parseBody` and
 * `didEncounterError`, which ignore it by default and which this router does not override. Same
 * body, headers, fetcher, error hooks and result; the hooks get `undefined` for that argument.
 */
async function sendWithoutFetchRequest(this: ForwardingDataSource, request: SubgraphRequest, context: RouterContext) {
  if (!request.http) throw new Error("Internal error: Only 'http' requests are supported.");
  const { http, ...requestWithoutHttp } = request;
  const requestInit = { method: http.method, headers: Object.fromEntries(http.headers), body: JSON.stringify(requestWithoutHttp) };
  let fetchResponse: FetcherResponse | undefined;
  try {
    fetchResponse = await this.fetcher(http.url, requestInit);
    if (!fetchResponse.ok) throw await this.errorFromResponse(fetchResponse);
    const body = await this.parseBody(fetchResponse, undefined, context);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`Expected JSON response body, but received: ${String(body)}`);
    return { ...body, http: fetchResponse };
  } catch (error) {
    this.didEncounterError(error as Error, undefined as never, fetchResponse, context, request);
    throw error;
  }
}
Object.defineProperty(ForwardingDataSource.prototype, 'sendRequest', { value: sendWithoutFetchRequest, writable: true, configurable: true });
