import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import { z } from 'zod';
import { operationCost } from './cost';

/**
 * Limits every GraphQL server of the graph (router and subgraphs) applies before anything runs.
 * Values and their reasons: docs/security.md. Each is sized from the real client operations in
 * schema/operations (router/test/limits.test.ts prints them) with headroom.
 */
export interface QueryLimits {
  /** Largest accepted request body, in bytes (the document and its variables). */
  maxBodyBytes: number;
  /** Lexical tokens in the document; bounds parsing and validation work before anything else. */
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** See `operationCost`: about how many objects the operation may make the servers produce. */
  maxCost: number;
  /** What a list field without `first` is assumed to hold, for the cost. */
  defaultListSize: number;
  /** Wall-clock budget of one request; at the budget the request is stopped and answered REQUEST_TIMEOUT. */
  requestBudgetMs: number;
  /** Time a client has to send all request headers. */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included (a trickled body is cut off). */
  requestTimeoutMs: number;
}

/** The stable code of an operation refused by a limit; `extensions.limit` names which. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';
export const REQUEST_TIMEOUT = 'REQUEST_TIMEOUT';
export const PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE';

const positive = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** The variables that change the limits; the defaults are the documented values. */
export const queryLimitsConfig = z.object({
  GRAPHQL_MAX_BODY_BYTES: positive(65_536),
  GRAPHQL_MAX_TOKENS: positive(1_000),
  GRAPHQL_MAX_DEPTH: positive(12),
  GRAPHQL_MAX_ALIASES: positive(15),
  GRAPHQL_MAX_DIRECTIVES: positive(10),
  GRAPHQL_MAX_COST: positive(10_000),
  GRAPHQL_DEFAULT_LIST_SIZE: positive(5),
  REQUEST_BUDGET_MS: positive(10_000),
  HTTP_HEADERS_TIMEOUT_MS: positive(10_000),
  HTTP_REQUEST_TIMEOUT_MS: positive(15_000),
});

export type QueryLimitsConfig = z.infer<typeof queryLimitsConfig>;

export const queryLimitsFrom = (config: QueryLimitsConfig): QueryLimits => ({
  maxBodyBytes: config.GRAPHQL_MAX_BODY_BYTES,
  maxTokens: config.GRAPHQL_MAX_TOKENS,
  maxDepth: config.GRAPHQL_MAX_DEPTH,
  maxAliases: config.GRAPHQL_MAX_ALIASES,
  maxDirectives: config.GRAPHQL_MAX_DIRECTIVES,
  maxCost: config.GRAPHQL_MAX_COST,
  defaultListSize: config.GRAPHQL_DEFAULT_LIST_SIZE,
  requestBudgetMs: config.REQUEST_BUDGET_MS,
  headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
});

export const DEFAULT_QUERY_LIMITS: QueryLimits = queryLimitsFrom(queryLimitsConfig.parse({}));

export const limitError = (limit: string, message: string, details: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX, limit, ...details, http: { status: 400 } } });

/**
 * graphql-armor's rules report through the validation context; Apollo re-labels every validation
 * error GRAPHQL_VALIDATION_FAILED, so `extensions.limit` is what the error formatter turns back into
 * QUERY_TOO_COMPLEX.
 */
const reportLimit = (limit: string) => (context: ValidationContext | null, error: GraphQLError) => {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { limit } }));
};

export interface QueryLimitProtection {
  /** Stops parsing past `maxTokens`, before any validation runs (deep or alias-heavy documents are long). */
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<BaseContext>[];
}

/** The Apollo Server settings that enforce `limits`; the same at the router and every subgraph. */
export function queryLimitProtection(limits: QueryLimits): QueryLimitProtection {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, propagateOnRejection: false, onReject: [reportLimit('depth')] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [reportLimit('aliases')] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [reportLimit('directives')] },
    // Tokens: graphql's own parser option (below) refuses before a document is even built.
    maxTokens: { enabled: false },
    // Cost: armor's model cannot weigh a list by its `first`; operationCost does (plugin below).
    costLimit: { enabled: false },
    // Suggestions: Apollo's hideSchemaDetailsFromClientErrors hides them in every message, not just some.
    blockFieldSuggestion: { enabled: false },
  });
  const costLimit: ApolloServerPlugin<BaseContext> = {
    async requestDidStart() {
      return {
        // After validation, before execution: at the router that is before the query is planned.
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables, limits);
          if (cost > limits.maxCost) {
            throw limitError('cost', `The operation's cost ${cost} exceeds the limit of ${limits.maxCost}; ask for fewer items (lower "first").`, {
              cost,
              max: limits.maxCost,
            });
          }
        },
      };
    },
  };
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: armor.protect().validationRules,
    plugins: [costLimit],
  };
}

/** graphql-js's wording when `maxTokens` stops the parser (16.x says "more that"). */
export const isTokenLimitMessage = (message: string) => /Document contains more tha[nt] \d+ tokens/.test(message);

let fieldResolutions = 0;

/** How many fields this process has begun to resolve: tests read it to prove a refused request ran nothing. */
export const fieldResolutionCount = () => fieldResolutions;

/**
 * Stops resolving once the request's budget is spent: every field resolved after that fails at once,
 * so an answered (timed-out) request stops doing work. `signal` is the one `handleGraphQL` aborts.
 */
export const requestBudgetPlugin: ApolloServerPlugin<BaseContext & { signal?: AbortSignal }> = {
  async requestDidStart() {
    return {
      async executionDidStart() {
        return {
          willResolveField({ contextValue }) {
            fieldResolutions += 1;
            if (contextValue.signal?.aborted) {
              throw new GraphQLError('The request ran out of time.', { extensions: { code: REQUEST_TIMEOUT } });
            }
          },
        };
      },
    };
  },
};
