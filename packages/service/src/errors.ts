import type { GraphQLFormattedError } from 'graphql';
import { isTokenLimitMessage, PAYLOAD_TOO_LARGE, QUERY_TOO_COMPLEX, REQUEST_TIMEOUT } from './limits';
import { isTransientError } from './transient';

/** The stable `extensions.code` values clients may rely on. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/**
 * How long a client should wait before retrying after SERVICE_UNAVAILABLE (`extensions.retryAfterSeconds`).
 * Short: the causes (lock waits, a full connection pool, a database restarting) pass in seconds.
 */
export const RETRY_AFTER_SECONDS = 1;

/**
 * A rule of the domain was broken by the caller. Domain code throws these; the server turns them
 * into GraphQL errors carrying `code` (and any safe `details`) in `extensions`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'>,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badUserInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError('BAD_USER_INPUT', message, details);
export const unauthenticated = (message = 'You must be logged in to do this.') =>
  new DomainError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this.') => new DomainError('FORBIDDEN', message);
export const notFound = (message: string, details?: Record<string, unknown>) =>
  new DomainError('NOT_FOUND', message, details);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new DomainError('TOO_MANY_REQUESTS', message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new DomainError('CONFLICT', message, details);

/** Codes Apollo Server itself assigns to request errors; they describe the request, not the server. */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  QUERY_TOO_COMPLEX,
  REQUEST_TIMEOUT,
  PAYLOAD_TOO_LARGE,
  // A subgraph's retryable answer, passed on by the router as it is.
  'SERVICE_UNAVAILABLE',
]);

export interface ErrorFormatterOptions {
  /** Called with every error that is not the caller's fault, before its details are hidden. */
  onInternalError(error: unknown): void;
  /**
   * Extension keys never sent to clients, e.g. the gateway's `serviceName`, which names internal
   * services. The router drops it in production.
   */
  hiddenExtensions?: readonly string[];
  /** Called with every temporary failure (overload, lock waits, a database restarting) answered as SERVICE_UNAVAILABLE. */
  onUnavailable?(error: unknown): void;
}

/**
 * Apollo `formatError`: domain errors keep their code and message; request errors keep theirs;
 * temporary failures become a retryable SERVICE_UNAVAILABLE; anything else becomes an opaque INTERNAL_SERVER_ERROR so no stack trace, SQL or driver message
 * ever reaches a client.
 */
export function createErrorFormatter({ onInternalError, onUnavailable, hiddenExtensions = [] }: ErrorFormatterOptions) {
  const hide = (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    if (!formatted.extensions || !hiddenExtensions.some((key) => key in formatted.extensions!)) return formatted;
    const extensions = { ...formatted.extensions };
    for (const key of hiddenExtensions) delete extensions[key];
    return { ...formatted, extensions };
  };
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = rootCause(error);
    if (original instanceof DomainError) {
      return {
        message: original.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: { ...original.details, code: original.code },
      };
    }
    const tokenLimit = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && isTokenLimitMessage(formatted.message);
    const code = formatted.extensions?.limit !== undefined || tokenLimit ? QUERY_TOO_COMPLEX : formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, ...(tokenLimit && { limit: 'tokens' }), code } };
    }
    if (isTransientError(original)) {
      // Overload or a passing fault: nothing was committed (one transaction per mutation), so the
      // same request (with the same idempotency key) can simply be sent again.
      onUnavailable?.(original);
      return {
        message: `The service is busy or briefly unavailable; nothing was changed. Retry in ${RETRY_AFTER_SECONDS} s.`,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: RETRY_AFTER_SECONDS },
      };
    }
    onInternalError(original);
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
  // Apollo labels every validation error GRAPHQL_VALIDATION_FAILED and every parser stop
  // GRAPHQL_PARSE_FAILED; a refusal by a query limit gets its own code so clients can tell it from a typo.
  return (formatted: GraphQLFormattedError, error: unknown) => hide(format(formatted, error));
}


/** The error a resolver threw, beneath the GraphQLErrors that wrap it on the way out. */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && 'originalError' in current && current.originalError instanceof Error) {
    current = current.originalError;
  }
  return current;
}

/** Whether a Prisma write failed on a unique constraint (P2002), e.g. a second account with one email. */
export const isUniqueViolation = (error: unknown) =>
  error instanceof Error && (error as { code?: unknown }).code === 'P2002' && error.name === 'PrismaClientKnownRequestError';
