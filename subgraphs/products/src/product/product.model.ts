import { Socket } from 'node:net';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  AppError,
  isConnectionFailure,
  isPostgresUnavailableState,
  ServiceUnavailableError,
} from '@shop/platform/core';
import { DeadlineExceededError, type ReadinessCheck, timeLeft } from '@shop/platform/http';
import { z } from 'zod';
import { productsConfig } from '../config.js';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

export { Prisma };
export type ProductsDb = PrismaClient;
export type ProductRecord = Prisma.ProductModel;

/** The bounds of createProductsDb (the products config's DB_POOL_WAIT_TIMEOUT and DB_STATEMENT_TIMEOUT). */
export interface DatabaseTimeouts {
  DB_POOL_WAIT_TIMEOUT: number;
  DB_STATEMENT_TIMEOUT: number;
}

const DEFAULT_TIMEOUTS: DatabaseTimeouts = z
  .object(productsConfig)
  .pick({ DB_POOL_WAIT_TIMEOUT: true, DB_STATEMENT_TIMEOUT: true })
  .parse({});

/** How long an idle connection stays in the pool (pg-pool's default, made explicit: it must stay below the silence bound). */
const IDLE_CONNECTION_MS = 10_000;

/**
 * One Prisma client per process, created in main (or a test) from the configured URL, with bounded
 * waits: for a connection from the pool or a new one, and for each statement, which PostgreSQL
 * cancels at DB_STATEMENT_TIMEOUT. A connection that stays silent a second past that has lost its
 * server (stalled, or cut off by the network): it is closed, so every query on it fails at once and
 * the pool drops it, a transaction's too; and the server ends a transaction left idle that long, so
 * a backend whose client vanished does not hold its row locks until TCP notices. Nothing healthy
 * stays silent that long: idle connections leave the pool after 10 s, and the longest wait inside
 * a transaction, the outbox relay's for the broker, is 30 s (the configuration's minimum).
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
  const silentFor = timeouts.DB_STATEMENT_TIMEOUT + 1_000;
  const adapter = new PrismaPg({
    connectionString,
    connectionTimeoutMillis: timeouts.DB_POOL_WAIT_TIMEOUT,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    statement_timeout: timeouts.DB_STATEMENT_TIMEOUT,
    idle_in_transaction_session_timeout: silentFor,
    stream: () => {
      const socket = new Socket();
      socket.setTimeout(silentFor, () =>
        socket.destroy(Object.assign(new Error(`PostgreSQL sent nothing for ${silentFor} ms`), { code: 'ETIMEDOUT' })),
      );
      return socket;
    },
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

/**
 * What the adapter says of a failed query (Prisma's `meta.driverAdapterError.cause`), whatever
 * Prisma code wraps it (P2010 for raw SQL, P2039 for a model query): the server unreachable, the
 * connection closed or timed out, too many connections, or PostgreSQL's own SQLSTATE for a server
 * that did not answer (in time), `isPostgresUnavailableState`.
 */
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** Prisma's own: a transaction that could not start in time (no connection came free). */
const TRANSACTION_NOT_STARTED = /Unable to start a transaction in the given time/;
/**
 * What node-postgres throws when a connection breaks or a new one times out, which the adapter
 * passes on as it is, and Prisma within a transaction as its message's last line.
 */
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect)/m;

/**
 * Whether `error` says PostgreSQL did not answer in time: down or unreachable, a connection that
 * broke or stayed silent, none free within DB_POOL_WAIT_TIMEOUT, or a statement it cancelled at
 * DB_STATEMENT_TIMEOUT. A request that fails so is answered SERVICE_UNAVAILABLE (retry shortly).
 */
export function productsDbUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // A socket's own failure (our silent-connection close: ETIMEDOUT), bare or as Prisma's code.
  if (isConnectionFailure(error) || UNAVAILABLE_MESSAGES.test(error.message)) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const adapterError = error.meta?.driverAdapterError as { cause?: { kind?: unknown; originalCode?: unknown } };
    return (
      error.code === 'P1001' ||
      (error.code === 'P2028' && TRANSACTION_NOT_STARTED.test(error.message)) ||
      UNAVAILABLE_KINDS.has(String(adapterError?.cause?.kind)) ||
      isPostgresUnavailableState(String(adapterError?.cause?.originalCode))
    );
  }
  return false;
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
