import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CLIENT_ADDRESS_HEADER, SIGNATURE_HEADER, signRequest } from '@bazaar/service';

/**
 * Signs a subgraph request as the router (see @bazaar/service signing.ts): the subgraphs refuse
 * anything else in production. The body is signed as it will be sent, the request without its
 * `http` part, in canonical JSON; the client address is signed with it so a subgraph can trust it.
 * The request holds JSON values only (the client's variables, the subgraphs' own answers), so it is
 * signed as it is, without a JSON round trip.
 */
export function signSubgraphRequest(
  { request }: Pick<GraphQLDataSourceProcessOptions, 'request'>,
  secret: string,
  clientAddress: string,
): void {
  const { http, ...body } = request;
  if (!http) return;
  http.headers.set(CLIENT_ADDRESS_HEADER, clientAddress);
  http.headers.set(SIGNATURE_HEADER, signRequest(secret, { method: http.method, body, clientAddress }));
}
