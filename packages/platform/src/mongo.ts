import mongoose from 'mongoose';
import type { ReadinessCheck } from './health.js';
import type { Logger } from './logger.js';
import { countMongoCommands } from './mongo-commands.js';

export interface MongoSettings {
  MONGO_URL: string;
  MONGO_DB_PREFIX: string;
}

export interface MongoHandle {
  readiness: ReadinessCheck;
  close: () => Promise<void>;
}

/** Each service owns its own database (`<prefix>_<service>`) on the shared server. */
export async function connectMongo(settings: MongoSettings, service: string, log: Logger): Promise<MongoHandle> {
  const dbName = `${settings.MONGO_DB_PREFIX}_${service}`;
  const connection = mongoose.connection;
  connection.on('disconnected', () => log.warn({ dbName }, 'mongodb disconnected'));
  connection.on('reconnected', () => log.info({ dbName }, 'mongodb reconnected'));
  connection.on('error', (error) => log.error({ err: error }, 'mongodb error'));
  // monitorCommands: every command is counted (mongodb_commands_total), to keep the cost per request visible.
  await mongoose.connect(settings.MONGO_URL, { dbName, serverSelectionTimeoutMS: 5_000, monitorCommands: true });
  countMongoCommands(connection.getClient());
  // Unique indexes carry domain rules (one account per email), so they must exist before traffic.
  await Promise.all(Object.values(mongoose.models).map((model) => model.syncIndexes()));
  log.info({ dbName }, 'mongodb connected');
  return {
    readiness: {
      name: 'mongodb',
      check: async () => {
        if (connection.readyState !== 1 || !connection.db) throw new Error('not connected');
        await connection.db.admin().ping();
      },
    },
    close: () => mongoose.disconnect(),
  };
}

export const isDuplicateKeyError = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;

/**
 * A filter value matching any of `values`; a single value is sent as an equality. FerretDB 1.x
 * serves an equality on a top-level field from an index but reads the whole collection for `$in`,
 * and the usual DataLoader batch holds one id (one reference per request). MongoDB plans both alike.
 */
export function anyOf<T>(values: readonly T[]): T | { $in: T[] } {
  return values.length === 1 ? (values[0] as T) : { $in: [...values] };
}
