/**
 * What the outbox and the consumer need from a Prisma client or interactive transaction: raw
 * statements with bound parameters. Structural, so every service's generated client fits.
 */
export interface SqlRunner {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}

/**
 * How long an idle pooled connection is kept (pg's default is 10 s). Under a checkout load the
 * pools' demand rises and falls within seconds, and with 10 s the stack opened about one Postgres
 * session a second: each a backend to fork, a password exchange on both sides, and cold caches
 * and named statements to plan again (docs/events.md, "Checkout latency").
 */
export const IDLE_CONNECTION_MS = 60_000;
