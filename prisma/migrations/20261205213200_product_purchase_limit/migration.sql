-- AlterTable
-- Added by hand: the CHECK (a limit of 0 would be a product nobody may buy: that is inventory 0).
ALTER TABLE "products" ADD COLUMN     "purchase_limit" INTEGER CHECK ("purchase_limit" > 0);

-- CreateIndex
CREATE INDEX "stock_reservations_customer_id_product_id_idx" ON "stock_reservations"("customer_id", "product_id");
