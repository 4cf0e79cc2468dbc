-- AlterTable
ALTER TABLE "stock_releases" ADD COLUMN     "reason" TEXT NOT NULL DEFAULT 'released',
-- Added by hand: a Prisma schema cannot express CHECK constraints, and Prisma's diffing ignores them, so they stay.
ADD CONSTRAINT "stock_releases_reason_check" CHECK ("reason" IN ('released', 'expired'));

-- AlterTable
ALTER TABLE "stock_reservations" ADD COLUMN     "confirmed_at" TIMESTAMP(3);

-- Added by hand: reservations made before orders confirmed them belong to stored orders (the
-- orders subgraph released the others), so they count as confirmed and never expire.
UPDATE "stock_reservations" SET "confirmed_at" = "created_at";

-- CreateIndex
CREATE INDEX "stock_reservations_confirmed_at_released_at_created_at_idx" ON "stock_reservations"("confirmed_at", "released_at", "created_at");
