/*
 * Hive Gateway over the same supergraph and the same subgraph processes as our router, as a process
 * of its own (so its CPU can be read by pid): the reference the reads benchmark compares against.
 * It forwards `authorization` and signs each subgraph call as our router does (the subgraphs refuse
 * unsigned calls when a secret is set), so both gateways do the same work for the same answers.
 * Environment: SUPERGRAPH_PATH, PORT, HIVE_DEDUP (true|false: identical in-flight subgraph queries
 * share one call, Hive's default), SUBGRAPH_SIGNING_SECRET.
 */
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { CLIENT_ADDRESS_HEADER, SIGNATURE_HEADER, signRequest } from '@bazaar/service';

const { SUPERGRAPH_PATH, PORT, HIVE_DEDUP, SUBGRAPH_SIGNING_SECRET } = process.env;
if (!SUPERGRAPH_PATH || !PORT || !HIVE_DEDUP) throw new Error('SUPERGRAPH_PATH, PORT and HIVE_DEDUP are required');
/** What our router sends as the client's address for a client on this machine. */
const CLIENT_ADDRESS = '127.0.0.1';

const gateway = createGatewayRuntime({
  supergraph: SUPERGRAPH_PATH,
  logging: 'error',
  graphqlEndpoint: '/graphql',
  landingPage: false,
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: HIVE_DEDUP === 'true' } } },
  propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }) },
  plugins: () => [
    {
      onFetch({ options, setOptions }) {
        if (!SUBGRAPH_SIGNING_SECRET || typeof options.body !== 'string') return;
        const method = options.method ?? 'POST';
        const signature = signRequest(SUBGRAPH_SIGNING_SECRET, { method, body: JSON.parse(options.body) as unknown, clientAddress: CLIENT_ADDRESS });
        setOptions({
          ...options,
          headers: { ...(options.headers as Record<string, string>), [CLIENT_ADDRESS_HEADER]: CLIENT_ADDRESS, [SIGNATURE_HEADER]: signature },
        });
      },
    },
  ],
});

// The runtime is a Node request listener; its returned promise only says when the response was sent.
createServer((request, response) => void gateway(request, response)).listen(Number(PORT), '127.0.0.1', () => console.log(`hive gateway ready on ${PORT}`));
// Exit through process.exit, so a CPU profile (--cpu-prof) is written.
process.once('SIGTERM', () => process.exit(0));
