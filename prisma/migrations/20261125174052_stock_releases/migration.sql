-- CreateTable
CREATE TABLE "stock_releases" (
    "order_id" TEXT NOT NULL,
    "released_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_releases_pkey" PRIMARY KEY ("order_id")
);

-- Added by hand: orders released before this table existed.
INSERT INTO "stock_releases" ("order_id", "released_at")
SELECT "order_id", max("released_at") FROM "stock_reservations" WHERE "released_at" IS NOT NULL GROUP BY "order_id";
