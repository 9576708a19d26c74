import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendJson } from '@bazaar/service';

/** Any port on the machine itself (the web shop's dev server, a mobile app's bundler) and Apollo Sandbox. */
const DEVELOPMENT_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'https://studio.apollographql.com'] as const;

/**
 * The headers clients send: the JSON body, the bearer token, Apollo Client's name and version and its
 * CSRF-prevention headers, and a request id that a client may set to find its request in our logs.
 */
const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
  'traceparent',
] as const;

/** Clients read the request id to quote it in bug reports. */
const EXPOSED_RESPONSE_HEADERS = ['x-request-id'];
/** Browsers cache a preflight this long (Chromium caps it at two hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

const ORIGIN_PATTERN = /^https?:\/\/(\*\.)?[a-z0-9.-]+(:(\d{1,5}|\*))?$/;

/**
 * `CORS_ORIGINS`: comma-separated origins such as `https://shop.bookbazaar.dev`, where the port may be `*`
 * (`http://localhost:*`) and the first host label may be `*` (`https://*.preview.bookbazaar.dev`). A bare
 * `*` is refused: the router allows credentials, and any site could then act with a user's cookies.
 */
export const corsOriginsSetting = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined) return undefined;
    const origins = value.split(',').map((origin) => origin.trim().toLowerCase().replace(/\/$/, '')).filter(Boolean);
    for (const origin of origins) {
      if (!ORIGIN_PATTERN.test(origin)) {
        context.addIssue({ code: 'custom', message: `"${origin}" is not an origin (scheme://host[:port], port or first label may be *)` });
      }
    }
    return origins;
  });

/** The allowed origins: the configured ones, or in development and tests any local port; none in production. */
export function allowedOrigins(configured: readonly string[] | undefined, environment: string): readonly string[] {
  return configured ?? (environment === 'production' ? [] : DEVELOPMENT_ORIGINS);
}

function toRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(/:\*$/, '(:\\d{1,5})?').replace('//*\\.', '//[a-z0-9-]+\\.');
  return new RegExp(`^${source}$`);
}

export interface Cors {
  /**
   * Adds the CORS headers for an allowed origin. Answers a preflight (OPTIONS) itself and returns true
   * then; the caller goes on with any other request.
   */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  allows(origin: string): boolean;
}

/**
 * CORS for browsers on other origins (the web shop's dev server, a deployed storefront). It does not
 * replace CSRF prevention: Apollo Server still refuses requests a browser would send without a
 * preflight, so a page on a foreign origin cannot make a user's browser run a mutation.
 */
export function createCors(origins: readonly string[]): Cors {
  const patterns = origins.map(toRegExp);
  const allows = (origin: string) => patterns.some((pattern) => pattern.test(origin.toLowerCase()));
  return {
    allows,
    handle(request, response) {
      const origin = request.headers.origin;
      response.appendHeader('vary', 'Origin');
      const allowed = origin !== undefined && allows(origin);
      if (allowed) {
        response.setHeader('access-control-allow-origin', origin);
        response.setHeader('access-control-allow-credentials', 'true');
        response.setHeader('access-control-expose-headers', EXPOSED_RESPONSE_HEADERS.join(', '));
      }
      if (request.method !== 'OPTIONS') return false;
      if (origin !== undefined && !allowed) {
        sendJson(response, 403, {
          errors: [{ message: `Origin ${origin} is not allowed to call this router (see CORS_ORIGINS).`, extensions: { code: 'FORBIDDEN' } }],
        });
        return true;
      }
      response.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_REQUEST_HEADERS.join(', '),
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        allow: 'GET, POST, OPTIONS',
      });
      response.end();
      return true;
    },
  };
}
