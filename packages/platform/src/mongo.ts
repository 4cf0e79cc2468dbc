import mongoose from 'mongoose';
import { z } from 'zod';
import { databaseWaitShape } from './config.js';
import { isConnectionFailure, isPostgresUnavailableState, namesConnectionFailure } from './connection-failure.js';
import type { ReadinessCheck } from './health.js';
import type { Logger } from './logger.js';
import { countMongoCommands } from './mongo-commands.js';
import { buildIndexes } from './mongo-indexes.js';
import { MONGO_POOL_SIZE } from './mongo-pool.js';

/**
 * Whether the server reads a whole collection for `$in` (FerretDB 1.x: it pushes down equality on
 * a top-level field, which an index serves, and filters anything else in Go after a full read).
 * Assumed until `connectMongo` has asked the server, since splitting is correct on any server.
 */
let scansForIn = true;

export interface MongoSettings {
  MONGO_URL: string;
  MONGO_DB_PREFIX: string;
  MONGO_MAX_POOL_SIZE?: number;
  DB_POOL_WAIT_TIMEOUT?: number;
}

export interface MongoHandle {
  readiness: ReadinessCheck;
  /** Whether an error means the server did not answer (mongoUnavailable). */
  unavailable: (error: unknown) => boolean;
  close: () => Promise<void>;
}

const DEFAULT_POOL_WAIT_MS = z.object(databaseWaitShape).parse({}).DB_POOL_WAIT_TIMEOUT;
/** The driver's own bound on a new connection and on its heartbeat, kept as the least: a slow hello must not clear the pool. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * How the services (and the tests standing in for them) connect: bounded pool, bounded waits, every
 * command counted. DB_POOL_WAIT_TIMEOUT bounds a request's wait for a connection, from the pool or
 * a new one. A server that stops answering altogether fails the driver's heartbeat (every 10 s,
 * bounded by the longer of 10 s and DB_POOL_WAIT_TIMEOUT), which interrupts every command waiting
 * on it (the driver clears its pool); a read is then retried once, which waits up to 5 s for a
 * server. A command to a server that still answers its heartbeats is not cut: start-up index builds
 * and backfills may rightly take minutes (why there is no socket timeout).
 */
export const mongoClientOptions = (settings: Omit<MongoSettings, 'MONGO_URL' | 'MONGO_DB_PREFIX'> = {}) => {
  const poolWait = settings.DB_POOL_WAIT_TIMEOUT ?? DEFAULT_POOL_WAIT_MS;
  return {
    serverSelectionTimeoutMS: 5_000,
    monitorCommands: true,
    maxPoolSize: settings.MONGO_MAX_POOL_SIZE ?? MONGO_POOL_SIZE,
    waitQueueTimeoutMS: poolWait,
    connectTimeoutMS: Math.max(poolWait, CONNECT_TIMEOUT_MS),
  };
};

/**
 * A replica set changing its primary or shutting down: the retryable errors of the drivers'
 * specification (HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress,
 * PrimarySteppedDown, SocketException, NotWritablePrimary, InterruptedAtShutdown,
 * InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary), which the
 * driver passes on once its one retry failed too.
 */
const FAILOVER_CODES = new Set<unknown>([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * FerretDB's words, under its catch-all `InternalError` (code 1), for its own PostgreSQL not
 * answering: a connection lost, refused or silent (Go's words for a socket's failure, or pgx's
 * `unexpected EOF`), one it could not open (`failed to connect to`), a wait that ran out, or a SQLSTATE that
 * says the server did not answer (`isPostgresUnavailableState`, as products reads it too).
 */
const FERRETDB_BACKEND_WORDS = /failed to connect to `|unexpected EOF|context deadline exceeded/;
const SQLSTATES = /SQLSTATE (\w{5})/g;
const ferretdbBackendDown = (message: string) =>
  FERRETDB_BACKEND_WORDS.test(message) ||
  namesConnectionFailure(message) ||
  [...message.matchAll(SQLSTATES)].some(([, sqlstate]) => isPostgresUnavailableState(sqlstate ?? ''));
/**
 * What no wait mends, though it comes as a failure to connect: refused credentials or access
 * (SQLSTATE class 28), a missing database (3D000), a certificate that does not verify. Code 1 also
 * carries FerretDB's own faults; these and those stay internal errors.
 */
const FERRETDB_MISCONFIGURED = /SQLSTATE (28\w{3}|3D000)|x509:|certificate/;

/**
 * Whether `error` says the server did not answer: none could be selected (down, unreachable), a
 * connection broke or was interrupted (a server that stopped answering its heartbeats), none came
 * free from the pool within DB_POOL_WAIT_TIMEOUT, a replica set had no primary to take it, or
 * FerretDB could not reach its PostgreSQL. A request that fails so is answered SERVICE_UNAVAILABLE
 * (retry shortly).
 */
export function mongoUnavailable(error: unknown): boolean {
  const { mongo } = mongoose;
  return (
    error instanceof mongo.MongoServerSelectionError ||
    error instanceof mongo.MongoNetworkError ||
    (error instanceof mongo.MongoError && error.name === 'MongoWaitQueueTimeoutError') ||
    (error instanceof mongo.MongoServerError && FAILOVER_CODES.has(error.code)) ||
    (error instanceof mongo.MongoServerError &&
      error.code === 1 &&
      ferretdbBackendDown(error.message) &&
      !FERRETDB_MISCONFIGURED.test(error.message)) ||
    isConnectionFailure(error)
  );
}

/** Each service owns its own database (`<prefix>_<service>`) on the shared server. */
export async function connectMongo(settings: MongoSettings, service: string, log: Logger): Promise<MongoHandle> {
  const dbName = `${settings.MONGO_DB_PREFIX}_${service}`;
  const connection = mongoose.connection;
  connection.on('disconnected', () => log.warn({ dbName }, 'mongodb disconnected'));
  connection.on('reconnected', () => log.info({ dbName }, 'mongodb reconnected'));
  connection.on('error', (error) => log.error({ err: error }, 'mongodb error'));
  // monitorCommands: every command is counted (mongodb_commands_total), to keep the cost per request visible.
  await mongoose.connect(settings.MONGO_URL, { dbName, ...mongoClientOptions(settings) });
  countMongoCommands(connection.getClient());
  // Unique indexes carry domain rules (one account per email), so they must exist before traffic.
  await Promise.all(Object.values(mongoose.models).map((model) => buildIndexes(model, log)));
  await learnServer();
  log.info({ dbName }, 'mongodb connected');
  return {
    readiness: {
      name: 'mongodb',
      check: async () => {
        if (connection.readyState !== 1 || !connection.db) throw new Error('not connected');
        await connection.db.admin().ping();
      },
    },
    unavailable: mongoUnavailable,
    close: () => mongoose.disconnect(),
  };
}

/**
 * A write refused by a unique index. MongoDB says so with code 11000, as FerretDB 1.x does for an
 * insert; FerretDB refuses an update with code 1 (InternalError) and PostgreSQL's message instead.
 */
export const isDuplicateKeyError = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 11000 ||
    (code === 1 && typeof message === 'string' && /duplicate key value violates unique constraint/.test(message))
  );
};

/**
 * Runs a write that a unique index decides (an insert, or an upsert): true when it went through,
 * false when a document with its key was there first; any other failure is thrown.
 */
export async function writtenFirst(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/** Asks the connected server whether it reads a whole collection for `$in` (see findAnyOf). */
export async function learnServer(): Promise<void> {
  const server = await mongoose.connection.db?.admin().command({ buildInfo: 1 });
  scansForIn = server === undefined || 'ferretdbVersion' in server;
}

/** How many queries findAnyOf sends for `count` distinct values: for tests that count them. */
export const findAnyOfQueries = (count: number): number => (count <= 1 || !scansForIn ? Math.min(count, 1) : count);

/**
 * Documents whose field matches any of `values`, read by `query` given that field's filter value:
 * one `$in` on MongoDB; on FerretDB one equality per distinct value, sent together, so a batch of
 * references stays a few index lookups however large the collection grows. Each value's results
 * keep `query`'s order.
 */
export async function findAnyOf<V, R>(values: readonly V[], query: (match: V | { $in: V[] }) => Promise<R[]>) {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) return [];
  if (distinct.length === 1) return query(distinct[0] as V);
  if (!scansForIn) return query({ $in: distinct });
  return (await Promise.all(distinct.map((value) => query(value)))).flat();
}

/**
 * The batch function of a by-id DataLoader: the documents of `ids` read together (findAnyOf, by
 * `find` given the `_id` filter), answered in the order asked, null for an id that is not `valid`
 * or not found. An ObjectId is printed in lower case, so an id is also looked up that way.
 */
export function loadByIds<R extends { _id: unknown }>(
  find: (_id: string | { $in: string[] }) => Promise<R[]>,
  valid: (id: string) => boolean = () => true,
): (ids: readonly string[]) => Promise<(R | null)[]> {
  return async (ids) => {
    const records = await findAnyOf(ids.filter(valid), find);
    const byId = new Map(records.map((record) => [String(record._id), record]));
    return ids.map((id) => byId.get(id) ?? byId.get(id.toLowerCase()) ?? null);
  };
}
