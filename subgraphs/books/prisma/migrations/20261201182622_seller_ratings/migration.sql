-- CreateTable
CREATE TABLE "seller_ratings" (
    "seller_id" UUID NOT NULL,
    "average" DOUBLE PRECISION NOT NULL,
    "count" INTEGER NOT NULL,
    "revision" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seller_ratings_pkey" PRIMARY KEY ("seller_id")
);
