-- AlterTable
ALTER TABLE "books" ADD COLUMN     "offer_conditions" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "book_facet_counts" (
    "scope" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "book_facet_counts_pkey" PRIMARY KEY ("scope","kind","value")
);

-- Hand-written below (invisible to Prisma's diff). See docs/catalog.md.

-- The typo test of search ("a title resembles the query"), as a function whose COST tells the planner
-- what pg_trgm's word_similarity costs per row (the operator says 1): without it a broad query reads
-- the catalog sequentially, computing trigrams of every title, instead of the trigram index.
CREATE FUNCTION title_resembles(query TEXT, title TEXT) RETURNS BOOLEAN
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
BEGIN
  RETURN word_similarity(query, title) >= 0.45;
END $$;

-- The facet summary's upkeep.

-- The summary keys one book counts under: in the whole catalog ('') and in each of its genres, as a
-- book, under each genre, its language and each condition it is on sale in.
CREATE FUNCTION book_facet_keys(genres TEXT[], language TEXT, conditions TEXT[])
RETURNS TABLE (scope TEXT, kind TEXT, value TEXT) LANGUAGE sql IMMUTABLE AS $$
  SELECT s.scope, k.kind, k.value
    FROM (SELECT '' AS scope UNION SELECT g FROM unnest(coalesce(genres, '{}')) g) s,
         (SELECT 'book' AS kind, '' AS value
          UNION SELECT 'genre', g FROM unnest(coalesce(genres, '{}')) g
          UNION SELECT 'language', language
          UNION SELECT 'condition', c FROM unnest(coalesce(conditions, '{}')) c) k
$$;

-- The summary computed from the catalog itself (the backfill below, and what tests compare with).
CREATE FUNCTION book_facet_counts_from_scratch()
RETURNS TABLE (scope TEXT, kind TEXT, value TEXT, count INTEGER) LANGUAGE sql STABLE AS $$
  SELECT k.scope, k.kind, k.value, count(*)::int
    FROM books b, LATERAL book_facet_keys(b.genres, b.language, b.offer_conditions) k
   GROUP BY 1, 2, 3
$$;

-- Statement triggers with transition tables: a bulk load adds its counts in one upsert, a single
-- write touches only the keys whose count changes (none for an update that leaves genres, language
-- and offer conditions alone). Keys are upserted in sorted order so that concurrent writers lock
-- counter rows in the same order and cannot deadlock.
CREATE FUNCTION books_facet_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO book_facet_counts AS f (scope, kind, value, count)
    SELECT k.scope, k.kind, k.value, count(*)
      FROM new_rows b, LATERAL book_facet_keys(b.genres, b.language, b.offer_conditions) k
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (scope, kind, value) DO UPDATE SET count = f.count + excluded.count;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO book_facet_counts AS f (scope, kind, value, count)
    SELECT k.scope, k.kind, k.value, sum(d.delta)
      FROM (SELECT genres, language, offer_conditions, 1 AS delta FROM new_rows
            UNION ALL
            SELECT genres, language, offer_conditions, -1 FROM old_rows) d,
           LATERAL book_facet_keys(d.genres, d.language, d.offer_conditions) k
     GROUP BY 1, 2, 3 HAVING sum(d.delta) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (scope, kind, value) DO UPDATE SET count = f.count + excluded.count;
  ELSE
    INSERT INTO book_facet_counts AS f (scope, kind, value, count)
    SELECT k.scope, k.kind, k.value, -count(*)
      FROM old_rows b, LATERAL book_facet_keys(b.genres, b.language, b.offer_conditions) k
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (scope, kind, value) DO UPDATE SET count = f.count + excluded.count;
  END IF;
  RETURN NULL;
END $$;

UPDATE books b SET offer_conditions = coalesce(
  (SELECT array_agg(DISTINCT l.condition::text) FROM listings l
    WHERE l.book_id = b.id AND l.status = 'ACTIVE' AND l.quantity > 0), '{}');

INSERT INTO book_facet_counts (scope, kind, value, count) SELECT * FROM book_facet_counts_from_scratch();

CREATE TRIGGER books_facet_summary_insert AFTER INSERT ON books
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION books_facet_summary();
CREATE TRIGGER books_facet_summary_update AFTER UPDATE ON books
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION books_facet_summary();
CREATE TRIGGER books_facet_summary_delete AFTER DELETE ON books
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION books_facet_summary();

-- Catalog reads are short statements bounded by LIMITs (a page, 1,001 matches): starting parallel
-- workers costs more than they save, and on a busy machine waiting for them to be scheduled took
-- ten times the scan itself (EXPLAIN on 100,000 books: 417 ms, of which 37 ms scanning).
ALTER TABLE books SET (parallel_workers = 0);
ALTER TABLE listings SET (parallel_workers = 0);
