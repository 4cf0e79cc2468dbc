-- CreateTable
CREATE TABLE "stock_reservations" (
    "order_id" TEXT NOT NULL,
    "product_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price" DECIMAL(10,2) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "released_at" TIMESTAMP(3),

    CONSTRAINT "stock_reservations_pkey" PRIMARY KEY ("order_id","product_id"),
    -- Added by hand: a Prisma schema cannot express CHECK constraints, and Prisma's diffing ignores them, so they stay.
    CONSTRAINT "stock_reservations_quantity_check" CHECK ("quantity" > 0),
    CONSTRAINT "stock_reservations_unit_price_check" CHECK ("unit_price" >= 0)
);

-- AddForeignKey
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
