-- AlterTable
ALTER TABLE "payable_orders" ALTER COLUMN "amount" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "payment_transactions" ALTER COLUMN "amount" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "payments" ALTER COLUMN "amount" SET DATA TYPE BIGINT,
ALTER COLUMN "refunded_amount" SET DATA TYPE BIGINT;

-- AlterTable
ALTER TABLE "provider_charges" ALTER COLUMN "amount" SET DATA TYPE BIGINT;
