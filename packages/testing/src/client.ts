import { CLIENT_ADDRESS_HEADER, SIGNATURE_HEADER, signRequest, wasResetBeforeResponse } from '@bazaar/service';
export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<Data> {
  status: number;
  data?: Data | null;
  errors?: GraphQLErrorShape[];
  headers: Headers;
}

/** A small GraphQL-over-HTTP client for tests: real HTTP, JSON in and out, optional bearer token. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  withToken(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  async request<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<Data>> {
    const send = () =>
      fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
    // On a busy machine fetch's idle timer can fire late and hand out a keep-alive connection the
    // server has just closed; the server never read the request, so a browser would send it again.
    const response = await send().catch((error: unknown) => (wasResetBeforeResponse(error) ? send() : Promise.reject(error)));
    const text = await response.text();
    assertNoStackTrace(text);
    let body: { data?: Data | null; errors?: GraphQLErrorShape[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`Non-JSON response (${response.status}): ${text.slice(0, 500)}`);
    }
    return { status: response.status, headers: response.headers, ...body };
  }

  /**
   * The data of a request that must succeed; any GraphQL error fails the test with its details.
   * Like a well-behaved client, it tries again (after `retryAfterSeconds`, a few times) when every
   * error says it is retryable and nothing was changed: a busy machine answers SERVICE_UNAVAILABLE.
   */
  async data<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<Data> {
    let result = await this.request<Data>(query, variables);
    for (let retry = 0; retry < 5 && result.errors?.length && result.errors.every((error) => error.extensions?.retryable === true); retry++) {
      const seconds = Number(result.errors[0]?.extensions?.retryAfterSeconds ?? 1);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      result = await this.request<Data>(query, variables);
    }
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL request failed (${result.status}): ${JSON.stringify(result.errors ?? result)}`);
    }
    return result.data;
  }

  /** The errors' codes of a request that must fail, in order. */
  async errorCodes(query: string, variables?: Record<string, unknown>): Promise<string[]> {
    const result = await this.request(query, variables);
    return (result.errors ?? []).map((error) => String(error.extensions?.code));
  }
}

/** No response may ever carry a stack trace; every request a test makes checks it. */
export function assertNoStackTrace(body: string): void {
  if (/"stacktrace"|\n\s+at [\w.<]|\bat .+\.(ts|js):\d+:\d+/.test(body)) {
    throw new Error(`Response leaks a stack trace: ${body.slice(0, 500)}`);
  }
}

export interface RawResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorShape[] };
  text: string;
}

/**
 * Posts straight to a subgraph, as the router would when `secret` is given (signed, optionally with
 * a chosen timestamp or client address) or as an outsider when it is not. `headers` are set after
 * signing, so a test can alter what was signed.
 */
export async function postToSubgraph(
  url: string,
  body: Record<string, unknown>,
  options: { secret?: string; timestamp?: number; clientAddress?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const clientAddress = options.clientAddress ?? '203.0.113.7';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.secret) {
    headers[CLIENT_ADDRESS_HEADER] = clientAddress;
    headers[SIGNATURE_HEADER] = signRequest(options.secret, { method: 'POST', body, clientAddress }, options.timestamp);
  }
  Object.assign(headers, options.headers);
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  assertNoStackTrace(text);
  return { status: response.status, text, body: JSON.parse(text) as RawResponse['body'] };
}
