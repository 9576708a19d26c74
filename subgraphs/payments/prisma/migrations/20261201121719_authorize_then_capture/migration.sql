-- AlterTable
ALTER TABLE "payable_orders" ADD COLUMN     "paid_payment_id" TEXT;
