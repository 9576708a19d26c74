/**
 * What the outbox and the consumer need from a Prisma client or interactive transaction: raw
 * statements with bound parameters. Structural, so every service's generated client fits.
 */
export interface SqlRunner {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}
