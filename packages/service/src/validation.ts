import countries from 'i18n-iso-countries';
import ISO6391 from 'iso-639-1';
import { z } from 'zod';
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

/*
 * Codes validated against maintained lists, so a made-up code (country XX, currency XYZ, language
 * xx) is refused: currencies from ICU (`Intl.supportedValuesOf`), countries from
 * i18n-iso-countries (ISO 3166-1), languages from iso-639-1 (the two-letter BCP 47 primary tags).
 */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** ISO 4217 code, any case in, upper case out. */
export const currencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code), 'must be an ISO 4217 currency code, e.g. EUR');

/** ISO 3166-1 alpha-2 country code, any case in, upper case out. */
export const countryCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => /^[A-Z]{2}$/.test(code) && countries.isValid(code), 'must be an ISO 3166-1 alpha-2 country code, e.g. DE');

/** ISO 639-1 language code (a two-letter BCP 47 language tag), any case in, lower case out. */
export const languageCode = z
  .string()
  .trim()
  .toLowerCase()
  .refine((code) => /^[a-z]{2}$/.test(code) && ISO6391.validate(code), 'must be an ISO 639-1 language code, e.g. en');
