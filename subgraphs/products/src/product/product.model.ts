import { PrismaPg } from '@prisma/adapter-pg';
import { AppError, ServiceUnavailableError } from '@shop/platform/core';
import { DeadlineExceededError, type ReadinessCheck, timeLeft } from '@shop/platform/http';
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
const HOT_ROW_LIMITS = { maxWait: 10_000, timeout: 15_000 };

/**
 * Runs `work` in a transaction that writes products' rows, within HOT_ROW_LIMITS and, for a request
 * whose caller said how long it waits, within that too: its waits for the pool, for the order's lock
 * and for the rows' locks (PostgreSQL's `lock_timeout`) end when the caller has given up, so a burst
 * the callers abandoned does not keep queueing for nobody. `deadline` absent: a job's, or an old caller's.
 */
export async function hotRowTransaction<T>(
  db: ProductsDb,
  deadline: number | undefined,
  work: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  if (deadline === undefined) return db.$transaction(work, HOT_ROW_LIMITS);
  const left = timeLeft(deadline, HOT_ROW_LIMITS.timeout);
  // The caller has given up (or is about to): answered as a busy service, which the client may retry.
  const givenUp = () => new ServiceUnavailableError(new DeadlineExceededError('products row transaction'));
  if (left <= 0) throw givenUp();
  try {
    return await db.$transaction(
      async (tx) => {
        const lockWait = Math.max(1, timeLeft(deadline, HOT_ROW_LIMITS.timeout));
        await tx.$executeRaw`SELECT set_config('lock_timeout', ${`${lockWait}ms`}, true)`;
        return work(tx);
      },
      { maxWait: Math.min(HOT_ROW_LIMITS.maxWait, left), timeout: left },
    );
  } catch (error) {
    // Whatever the driver called it (a lock wait cancelled, the pool or the transaction timed out);
    // a refusal of the work itself (out of stock, say) stays what it is.
    if (!(error instanceof AppError) && Date.now() >= deadline) throw givenUp();
    throw error;
  }
}
