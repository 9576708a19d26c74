/**
 * A large synthetic catalog written in SQL (100,000 books in seconds, not through 100,000 Prisma
 * creates), for the search plan tests and `bench/search.ts`. Shaped to stress search: a quarter of
 * the titles hold the common word "story", ten are "The Midnight Library", 5,000 authors, eight
 * genres, four languages, two thirds of the books on sale in one condition. The books' offer columns
 * are written as refreshOffers would compute them, so the facet summary triggers count them.
 */
/** Marks the generated books, so that a catalog may hold others too (the bench adds to the demo catalog). */
const DESCRIPTION = 'A generated book for the search plans.';

export function generatedCatalogSql(size: number): string {
  if (!Number.isInteger(size) || size < 1) throw new Error('size must be a positive whole number');
  return `
    INSERT INTO authors (id, name, name_key)
      SELECT uuidv7(), 'Writer ' || i, 'writer ' || i FROM generate_series(1, 5000) AS i;
    INSERT INTO books (id, isbn13, title, author_names, description, genres, language, lowest_price_amount, in_stock,
                       offer_conditions, created_at, updated_at)
      SELECT uuidv7(), '978' || lpad(i::text, 10, '0'),
             CASE WHEN i % 10000 = 7 THEN 'The Midnight Library'
                  ELSE (ARRAY['Silent','Broken','Golden','Hidden','Last','Winter','Secret','Distant'])[1 + i % 8] || ' ' ||
                       (ARRAY['river','garden','empire','letters','kingdom','voyage','harbour','orchard','machine','city'])[1 + (i / 8) % 10] ||
                       CASE WHEN i % 4 = 0 THEN ' story' ELSE '' END || ' ' || i END,
             'Writer ' || (1 + i % 5000), '${DESCRIPTION}',
             ARRAY[(ARRAY['fiction','mystery','fantasy','history','science','poetry','romance','travel'])[1 + i % 8]],
             (ARRAY['en','de','fr','es'])[1 + i % 4],
             CASE WHEN i % 3 = 0 THEN NULL ELSE 300 + (i * 37) % 5000 END, i % 3 <> 0,
             CASE WHEN i % 3 = 0 THEN '{}' ELSE ARRAY[(ARRAY['NEW','GOOD','ACCEPTABLE'])[1 + (i / 3) % 3]] END,
             now() - i * interval '1 minute', now()
        FROM generate_series(1, ${size}) AS i;
    INSERT INTO book_authors (book_id, author_id, position)
      SELECT b.id, a.id, 0 FROM books b JOIN authors a ON a.name = b.author_names WHERE b.description = '${DESCRIPTION}';
    INSERT INTO listings (id, book_id, seller_id, condition, price_amount, currency, quantity, updated_at)
      SELECT uuidv7(), id, gen_random_uuid(), offer_conditions[1]::"ListingCondition", lowest_price_amount, 'EUR', 1, now()
        FROM books WHERE in_stock AND description = '${DESCRIPTION}';
    ANALYZE;`;
}
