import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createProductsDb, type ProductsDb } from './product/product.model.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop_test';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Tests run against the real, migrated `shop_test` database. Each test file works in its own
 * category, so files can run in parallel, and removes its rows afterwards.
 */
export function connectTestDb(): { db: ProductsDb; category: string; cleanup: () => Promise<void> } {
  const { db, close } = createProductsDb(TEST_DATABASE_URL);
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

/**
 * A database of one's own, migrated from prisma/migrations, for a test that must be alone with its
 * rows: the outbox tests, which other relays (the e2e stack's products process) would drain.
 */
export async function createPrivateTestDb(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `shop_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = createProductsDb(TEST_DATABASE_URL);
  await admin.db.$executeRawUnsafe(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const own = createProductsDb(url.toString());
  await own.db.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await own.close();
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url.toString() },
  });
  return {
    url: url.toString(),
    // Not WITH (FORCE): that may not end a superuser's session (an autovacuum worker visiting the
    // new database), and fails. Such a visit is short: try again until the database is free.
    drop: async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.db.$executeRawUnsafe(`DROP DATABASE IF EXISTS ${name}`);
          break;
        } catch (error) {
          if (attempt >= 150) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await admin.close();
    },
  };
}
