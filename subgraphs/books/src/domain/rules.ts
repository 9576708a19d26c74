import { z } from 'zod';
import { currencyCode, languageCode } from '@bazaar/service';
import { parseIsbn } from './isbn';

/** Prices, price filters and `lowestPrice` compare amounts in this currency (docs/catalog.md). */
export const CATALOG_CURRENCY = 'EUR';

export const CONDITIONS = ['NEW', 'LIKE_NEW', 'VERY_GOOD', 'GOOD', 'ACCEPTABLE'] as const;

/** ISO 4217 code, any case in, upper case out. */
const currency = currencyCode;

const MAX_AMOUNT = 100_000_000; // €1,000,000.00: far above any book, far below Int32.

const listingPrice = z.object({
  amount: z.number().int('must be a whole number of minor units').min(1, 'must be greater than 0').max(MAX_AMOUNT, 'is too large'),
  currency,
});

const quantity = z.number().int('must be a whole number').min(0, 'must not be negative').max(100_000, 'is too large');

export const isbn = z.string().transform((value, context) => {
  const parsed = parseIsbn(value);
  if (!parsed.ok) {
    context.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.isbn13;
});

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : null));

/** Author names: trimmed, inner runs of spaces collapsed. */
const authorName = text(200).transform((name) => name.replace(/\s+/g, ' '));
export const authorKey = (name: string) => name.replace(/\s+/g, ' ').trim().toLowerCase();

const authors = z
  .array(authorName)
  .min(1, 'must name at least one author')
  .max(20, 'must name at most 20 authors')
  .transform((names) => [...new Map(names.map((name) => [authorKey(name), name])).values()]);

const genre = text(60).transform((name) => name.replace(/\s+/g, ' '));
const genres = z
  .array(genre)
  .max(10, 'must list at most 10 genres')
  .transform((names) => [...new Set(names)]);

const language = languageCode;

const pageCount = z.number().int().min(1, 'must be positive').max(100_000, 'is too large');
const publishedYear = z
  .number()
  .int()
  .min(1450, 'must be 1450 or later')
  .refine((year) => year <= new Date().getUTCFullYear() + 1, 'must not be in the future');
const coverUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an http(s) URL');

export const createBookInput = z.object({
  isbn,
  title: text(300),
  subtitle: optionalText(300),
  authors,
  description: optionalText(10_000),
  genres: genres.nullish().transform((value) => value ?? []),
  language,
  pageCount: pageCount.nullish(),
  publishedYear: publishedYear.nullish(),
  publisher: optionalText(200),
  coverUrl: coverUrl.nullish(),
});

/** Omitted (undefined) keeps a field; null clears an optional one; required ones cannot be null. */
export const updateBookInput = z.object({
  id: z.string(),
  isbn: isbn.optional(),
  title: text(300).optional(),
  subtitle: optionalText(300).optional(),
  authors: authors.optional(),
  description: optionalText(10_000).optional(),
  genres: genres.optional(),
  language: language.optional(),
  pageCount: pageCount.nullable().optional(),
  publishedYear: publishedYear.nullable().optional(),
  publisher: optionalText(200).optional(),
  coverUrl: coverUrl.nullable().optional(),
});

const condition = z.enum(CONDITIONS);

export const createListingInput = z.object({
  bookId: z.string(),
  condition,
  price: listingPrice,
  quantity,
});

export const updateListingInput = z.object({
  id: z.string(),
  condition: condition.nullish().transform((value) => value ?? undefined),
  price: listingPrice.nullish().transform((value) => value ?? undefined),
  quantity: quantity.nullish().transform((value) => value ?? undefined),
});

export const restockListingInput = z.object({
  id: z.string(),
  quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'is too large'),
});

export const bookFilter = z.object({
  query: z
    .string()
    .trim()
    .max(200, 'must be at most 200 characters')
    .nullish()
    .transform((value) => value || undefined),
  authorId: z.string().nullish(),
  author: z
    .string()
    .trim()
    .max(200)
    .nullish()
    .transform((value) => value || undefined),
  genres: z.array(z.string().trim()).max(20).nullish(),
  language: language.nullish(),
  price: z
    .object({
      min: z.number().int().min(0, 'must not be negative').nullish(),
      max: z.number().int().min(0, 'must not be negative').nullish(),
      currency: currency.nullish(),
    })
    .refine((range) => range.min === null || range.min === undefined || range.max === null || range.max === undefined || range.min <= range.max, { message: 'min must not exceed max', path: ['min'] })
    .nullish(),
  conditions: z.array(condition).nullish(),
  inStock: z.boolean().nullish(),
});

export type BookFilter = z.infer<typeof bookFilter>;

