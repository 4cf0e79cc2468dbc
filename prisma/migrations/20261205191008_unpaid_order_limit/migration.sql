-- AlterTable
-- Added by hand: reservations made before the limit carry no customer, so they never count against it.
ALTER TABLE "stock_reservations" ADD COLUMN     "customer_id" TEXT,
ADD COLUMN     "settled_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "stock_reservations_customer_id_released_at_settled_at_idx" ON "stock_reservations"("customer_id", "released_at", "settled_at");
