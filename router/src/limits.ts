import type { IncomingMessage } from 'node:http';
import { queryLimitProtection, queryLimitsFrom, type QueryLimitsConfig } from '@bazaar/service';

/**
 * The router's edge settings: the query limits (checked before the gateway plans anything), and what
 * production answers leave out. Values: docs/security.md.
 */
export function routerProtection(config: QueryLimitsConfig & { NODE_ENV: string }) {
  const limits = queryLimitsFrom(config);
  const production = config.NODE_ENV === 'production';
  return {
    limits,
    protection: queryLimitProtection(limits),
    // `serviceName` in an error's extensions names an internal service; clients have no use for it.
    hiddenExtensions: production ? ['serviceName'] : [],
    hideSchemaDetailsFromClientErrors: production,
  };
}

/** The caller as the router's socket sees it (the router is the edge; no proxy header is trusted). */
export const clientAddressOf = (request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown';
