import { PrismaPg } from '@prisma/adapter-pg';
import { AppError, databaseTimeoutShape, ServiceUnavailableError } from '@shop/platform/core';
import { DeadlineExceededError, type ReadinessCheck, timeLeft } from '@shop/platform/http';
import { z } from 'zod';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

export { Prisma };
export type ProductsDb = PrismaClient;
export type ProductRecord = Prisma.ProductModel;

export type DatabaseTimeouts = z.infer<z.ZodObject<typeof databaseTimeoutShape>>;

const DEFAULT_TIMEOUTS: DatabaseTimeouts = z.object(databaseTimeoutShape).parse({});

/**
 * One Prisma client per process, created in main (or a test) from the configured URL, with bounded
 * waits (config.ts in the platform): for a connection from the pool (or a new one), and for each
 * statement, which PostgreSQL cancels at DB_COMMAND_TIMEOUT; a second later the client gives up on
 * a server that said nothing at all, and drops that connection.
 */
export function createProductsDb(
  connectionString: string,
  timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS,
): {
  db: ProductsDb;
  readiness: ReadinessCheck;
  unavailable: (error: unknown) => boolean;
  close: () => Promise<void>;
} {
  const adapter = new PrismaPg({
    connectionString,
    connectionTimeoutMillis: timeouts.DB_POOL_WAIT_TIMEOUT,
    statement_timeout: timeouts.DB_COMMAND_TIMEOUT,
    query_timeout: timeouts.DB_COMMAND_TIMEOUT + 1_000,
  });
  const db = new PrismaClient({ adapter });
  return {
    db,
    readiness: {
      name: 'postgresql',
      check: async () => {
        await db.$queryRaw`SELECT 1`;
      },
    },
    unavailable: productsDbUnavailable,
    close: () => db.$disconnect(),
  };
}

/** Prisma's codes for a server that did not answer: unreachable, timed out, closed the connection, no connection free. */
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/**
 * PostgreSQL's own (SQLSTATE, which the adapter's error carries): a connection exception, a
 * statement cancelled (statement_timeout), the server shutting down or starting, too many clients.
 */
const UNAVAILABLE_STATES = /^(08...|57014|57P0[1-3]|53300)$/;
/** What node-postgres throws, and the adapter passes on as it is, when a connection breaks or stays silent. */
const UNAVAILABLE_MESSAGES = /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect)/;

function sqlState(error: Prisma.PrismaClientKnownRequestError): string | undefined {
  const adapterError = error.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined;
  const code = adapterError?.cause?.originalCode;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether `error` says PostgreSQL did not answer in time: down or unreachable, a connection that
 * broke or stayed silent, none free within DB_POOL_WAIT_TIMEOUT, or a statement it cancelled at
 * DB_COMMAND_TIMEOUT. A request that fails so is answered SERVICE_UNAVAILABLE (retry shortly).
 */
export function productsDbUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return UNAVAILABLE_CODES.has(error.code) || UNAVAILABLE_STATES.test(sqlState(error) ?? '');
  }
  return UNAVAILABLE_MESSAGES.test(error.message);
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
