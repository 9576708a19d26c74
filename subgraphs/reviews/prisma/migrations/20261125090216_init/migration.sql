-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "reviews" (
    "id" UUID NOT NULL,
    "book_id" UUID NOT NULL,
    "author_id" UUID NOT NULL,
    "rating" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "verified_purchase" BOOLEAN NOT NULL DEFAULT false,
    "helpful_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "helpful_votes" (
    "review_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "helpful_votes_pkey" PRIMARY KEY ("review_id","user_id")
);

-- CreateTable
CREATE TABLE "book_ratings" (
    "book_id" UUID NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "sum" INTEGER NOT NULL DEFAULT 0,
    "stars_1" INTEGER NOT NULL DEFAULT 0,
    "stars_2" INTEGER NOT NULL DEFAULT 0,
    "stars_3" INTEGER NOT NULL DEFAULT 0,
    "stars_4" INTEGER NOT NULL DEFAULT 0,
    "stars_5" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "book_ratings_pkey" PRIMARY KEY ("book_id")
);

-- CreateTable
CREATE TABLE "known_books" (
    "book_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "known_books_pkey" PRIMARY KEY ("book_id")
);

-- CreateTable
CREATE TABLE "verified_purchases" (
    "buyer_id" UUID NOT NULL,
    "book_id" UUID NOT NULL,
    "order_count" INTEGER NOT NULL DEFAULT 1,
    "last_delivered_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "verified_purchases_pkey" PRIMARY KEY ("buyer_id","book_id")
);

-- CreateTable
CREATE TABLE "outbox_events" (
    "position" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("position")
);

-- CreateTable
CREATE TABLE "processed_events" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "dead_letter_events" (
    "id" UUID NOT NULL,
    "consumer" TEXT NOT NULL,
    "event_id" TEXT,
    "type" TEXT,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letter_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "reviews_book_id_created_at_id_idx" ON "reviews"("book_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "reviews_book_id_rating_created_at_id_idx" ON "reviews"("book_id", "rating", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "reviews_book_id_helpful_count_created_at_id_idx" ON "reviews"("book_id", "helpful_count" DESC, "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "reviews_author_id_created_at_id_idx" ON "reviews"("author_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "reviews_book_id_author_id_key" ON "reviews"("book_id", "author_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_id_key" ON "outbox_events"("id");

-- CreateIndex
CREATE INDEX "outbox_events_published_at_position_idx" ON "outbox_events"("published_at", "position");

-- CreateIndex
CREATE INDEX "dead_letter_events_consumer_created_at_idx" ON "dead_letter_events"("consumer", "created_at");

-- AddForeignKey
ALTER TABLE "helpful_votes" ADD CONSTRAINT "helpful_votes_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Invariants the domain also checks, kept by the database too.
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_rating_check" CHECK ("rating" BETWEEN 1 AND 5);
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_helpful_count_check" CHECK ("helpful_count" >= 0);
ALTER TABLE "book_ratings" ADD CONSTRAINT "book_ratings_counts_check"
  CHECK ("count" >= 0 AND "stars_1" >= 0 AND "stars_2" >= 0 AND "stars_3" >= 0 AND "stars_4" >= 0 AND "stars_5" >= 0
         AND "count" = "stars_1" + "stars_2" + "stars_3" + "stars_4" + "stars_5"
         AND "sum" = "stars_1" + 2 * "stars_2" + 3 * "stars_3" + 4 * "stars_4" + 5 * "stars_5");

-- Wake the outbox relay as soon as a transaction that wrote events commits (NOTIFY is delivered on commit).
CREATE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_events', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();
