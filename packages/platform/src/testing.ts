import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { pino } from 'pino';
import type { Principal } from './auth.js';
import type { RequestContext } from './subgraph.js';

/**
 * Test helpers (imported as `@shop/platform/testing`): a private database per test file on
 * the real MongoDB-wire server at MONGO_URL, dropped afterwards.
 */
export async function connectTestMongo(service: string): Promise<{ drop: () => Promise<void> }> {
  const url = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
  const dbName = `test_${service}_${randomUUID().slice(0, 8)}`;
  await mongoose.connect(url, { dbName, serverSelectionTimeoutMS: 5_000 });
  await Promise.all(Object.values(mongoose.models).map((model) => model.syncIndexes()));
  return {
    drop: async () => {
      await mongoose.connection.dropDatabase();
      await mongoose.disconnect();
    },
  };
}

export const silentLogger = pino({ level: 'silent' });

export function testContext<S>(principal: Principal | null, services: S): RequestContext<S> {
  return {
    principal,
    requestId: randomUUID(),
    log: silentLogger,
    authorization: undefined,
    clientIp: '127.0.0.1',
    services,
  };
}
