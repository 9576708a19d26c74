-- CreateTable
CREATE TABLE "delivered_sales" (
    "order_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "delivered_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "delivered_sales_pkey" PRIMARY KEY ("order_id","seller_id")
);

-- CreateTable
CREATE TABLE "seller_feedback" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "item_as_described" INTEGER NOT NULL,
    "shipping_speed" INTEGER NOT NULL,
    "communication" INTEGER NOT NULL,
    "comment" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "response" TEXT,
    "responded_at" TIMESTAMPTZ(3),

    CONSTRAINT "seller_feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "seller_ratings" (
    "seller_id" UUID NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "item_as_described_sum" INTEGER NOT NULL DEFAULT 0,
    "shipping_speed_sum" INTEGER NOT NULL DEFAULT 0,
    "communication_sum" INTEGER NOT NULL DEFAULT 0,
    "revision" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "seller_ratings_pkey" PRIMARY KEY ("seller_id")
);

-- CreateTable
CREATE TABLE "seller_rating_months" (
    "seller_id" UUID NOT NULL,
    "month" DATE NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "positive" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "seller_rating_months_pkey" PRIMARY KEY ("seller_id","month")
);

-- CreateIndex
CREATE INDEX "seller_feedback_seller_id_created_at_id_idx" ON "seller_feedback"("seller_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "seller_feedback_order_id_seller_id_key" ON "seller_feedback"("order_id", "seller_id");

-- AddForeignKey
ALTER TABLE "seller_feedback" ADD CONSTRAINT "seller_feedback_order_id_seller_id_fkey" FOREIGN KEY ("order_id", "seller_id") REFERENCES "delivered_sales"("order_id", "seller_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Stars are 1 to 5; aggregates never go negative (a drift could not commit).
ALTER TABLE "seller_feedback" ADD CONSTRAINT "seller_feedback_stars_check"
  CHECK ("item_as_described" BETWEEN 1 AND 5 AND "shipping_speed" BETWEEN 1 AND 5 AND "communication" BETWEEN 1 AND 5);
ALTER TABLE "seller_ratings" ADD CONSTRAINT "seller_ratings_sums_check"
  CHECK ("count" >= 0
     AND "item_as_described_sum" BETWEEN "count" AND 5 * "count"
     AND "shipping_speed_sum" BETWEEN "count" AND 5 * "count"
     AND "communication_sum" BETWEEN "count" AND 5 * "count");
ALTER TABLE "seller_rating_months" ADD CONSTRAINT "seller_rating_months_counts_check"
  CHECK ("positive" BETWEEN 0 AND "count");
