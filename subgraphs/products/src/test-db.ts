import { randomUUID } from 'node:crypto';
import { createProductsDb, type ProductsDb } from './product/product.model.js';

/**
 * Tests run against the real, migrated `shop_test` database. Each test file works in its own
 * category, so files can run in parallel, and removes its rows afterwards.
 */
export function connectTestDb(): { db: ProductsDb; category: string; cleanup: () => Promise<void> } {
  const { db, close } = createProductsDb(
    process.env.TEST_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop_test',
  );
  const category = `test-${randomUUID()}`;
  return {
    db,
    category,
    cleanup: async () => {
      const reserved = await db.stockReservation.findMany({
        where: { product: { category } },
        select: { orderId: true },
      });
      // Events about this file's products (no relay runs in most tests, so they would stay).
      await db.$executeRaw`DELETE FROM outbox_events WHERE envelope->'data'->>'productId' IN (SELECT id::text FROM products WHERE category = ${category})`;
      await db.stockRelease.deleteMany({ where: { orderId: { in: reserved.map((line) => line.orderId) } } });
      await db.stockReservation.deleteMany({ where: { product: { category } } });
      await db.product.deleteMany({ where: { category } });
      await close();
    },
  };
}
