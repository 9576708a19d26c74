import type { LeanReader } from '@bazaar/service';
import type { Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * Where the storefront's reads run: the service's lean reader (node-postgres, past Prisma's
 * interpreter), or a Prisma client (tests that EXPLAIN and call the search functions directly).
 */
export type Reads = LeanReader | Pick<PrismaClient, '$queryRaw'>;

/**
 * Runs a `Prisma.sql` statement. Through the lean reader, counts come back as strings (bigint) and
 * enums as text: callers convert with Number() and cast enums to text in the SQL, so both agree.
 */
export function readRows<Row>(db: Reads, query: Prisma.Sql): Promise<Row[]> {
  return 'rows' in db ? db.rows<Row>({ text: query.text, values: query.values }) : db.$queryRaw<Row[]>(query);
}

/** The columns of a Book row as Prisma's model names them (`search_vector` left out, as Prisma does). */
export const BOOK_COLUMNS = `b.id, b.isbn13, b.title, b.subtitle, b.description, b.genres, b.language, b.page_count AS "pageCount",
  b.published_year AS "publishedYear", b.publisher, b.cover_url AS "coverUrl", b.author_names AS "authorNames",
  b.lowest_price_amount AS "lowestPriceAmount", b.in_stock AS "inStock", b.offer_conditions AS "offerConditions",
  b.created_by AS "createdBy", b.created_at AS "createdAt", b.updated_at AS "updatedAt"`;
