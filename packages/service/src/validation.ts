import type { z } from 'zod';
import { badUserInput } from './errors';

/**
 * Parses resolver input with a zod schema; a failure becomes BAD_USER_INPUT naming each field, so
 * nothing invalid reaches the domain or the database.
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
  const summary = fields.map(({ field, message }) => (field ? `${field}: ${message}` : message)).join('; ');
  throw badUserInput(`Invalid input: ${summary}`, { fields });
}
