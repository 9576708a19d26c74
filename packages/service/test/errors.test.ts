import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createErrorFormatter, DomainError } from '../src/errors';

describe('error formatting', () => {
  const logged: unknown[] = [];
  const format = createErrorFormatter({ onInternalError: (error) => logged.push(error) });

  it('keeps a domain error’s code, message and details', () => {
    const error = new GraphQLError('wrapped', { originalError: new DomainError('CONFLICT', 'Taken', { field: 'email' }), path: ['signUp'] });
    expect(format({ message: 'wrapped', path: ['signUp'] }, error)).toEqual({
      message: 'Taken',
      path: ['signUp'],
      extensions: { field: 'email', code: 'CONFLICT' },
    });
  });

  it('hides an unexpected error, its SQL and its stack behind INTERNAL_SERVER_ERROR', () => {
    const cause = new Error('duplicate key value violates unique constraint "users_email_key" SELECT * FROM users');
    const error = new GraphQLError(cause.message, { originalError: cause });
    const formatted = format({ message: cause.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, error);
    expect(formatted).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged).toContain(cause);
  });

  it('keeps request errors but drops their stack traces', () => {
    const formatted = format(
      { message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['at y'] } },
      new GraphQLError('Cannot query field "x"'),
    );
    expect(formatted).toEqual({ message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('answers overload and passing database faults with a retryable SERVICE_UNAVAILABLE, never INTERNAL_SERVER_ERROR', () => {
    const causes = [
      Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { code: 'P2028' }),
      Object.assign(new Error('Timed out fetching a new connection from the connection pool.'), { code: 'P2024' }),
      Object.assign(new Error('wrapped'), { meta: { driverAdapterError: { cause: { kind: 'postgres', code: '55P03', message: 'lock timeout' } } } }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    ];
    for (const cause of causes) {
      const formatted = format({ message: cause.message }, new GraphQLError(cause.message, { originalError: cause, path: ['placeOrder'] }));
      expect(formatted.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 });
      expect(formatted.message).not.toContain(cause.message);
    }
    // A subgraph's SERVICE_UNAVAILABLE passes through the router unchanged.
    const passed = format({ message: 'busy', extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 } }, new GraphQLError('busy'));
    expect(passed.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 });
  });
});

describe('error formatting at the edge', () => {
  const format = createErrorFormatter({ onInternalError: () => {}, hiddenExtensions: ['serviceName'] });

  it('drops extensions that name internal services', () => {
    const formatted = format({ message: 'Nope', extensions: { code: 'UNAUTHENTICATED', serviceName: 'users' } }, new GraphQLError('Nope'));
    expect(formatted.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('gives a refusal by a query limit its own code, tokens included', () => {
    const depth = format({ message: 'Query depth limit of 12 exceeded, found 13.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth' } }, new GraphQLError('x'));
    expect(depth.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'depth' });
    const tokens = format(
      { message: 'Syntax Error: Document contains more that 1000 tokens. Parsing aborted.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } },
      new GraphQLError('x'),
    );
    expect(tokens.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
  });
});
