-- AlterTable
ALTER TABLE "orders" ALTER COLUMN "total_amount" SET DATA TYPE BIGINT;
