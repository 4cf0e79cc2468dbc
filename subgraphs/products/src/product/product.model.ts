import { PrismaPg } from '@prisma/adapter-pg';
import type { ReadinessCheck } from '@shop/platform/http';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

export { Prisma };
export type ProductsDb = PrismaClient;
export type ProductRecord = Prisma.ProductModel;

/** One Prisma client per process, created in main (or a test) from the configured URL. */
export function createProductsDb(connectionString: string): {
  db: ProductsDb;
  readiness: ReadinessCheck;
  close: () => Promise<void>;
} {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
  return {
    db,
    readiness: {
      name: 'postgresql',
      check: async () => {
        await db.$queryRaw`SELECT 1`;
      },
    },
    close: () => db.$disconnect(),
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUID columns: anything else can match no row, and must not reach PostgreSQL as a cast error. */
export const isProductId = (id: string): boolean => UUID_PATTERN.test(id);

/** The most stock a product holds: the INTEGER column's range. */
export const MAX_INVENTORY = 2_147_483_647;

/**
 * Limits of a transaction that writes a product's row: a burst of orders for one popular product
 * queues for the connection pool and for the row lock, and Prisma's defaults (2 s to start, 5 s
 * to finish) would fail such a burst, or an admin's write behind it, with an internal error.
 */
export const HOT_ROW_TRANSACTION = { maxWait: 10_000, timeout: 15_000 };
