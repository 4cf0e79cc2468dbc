import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { afterAll, beforeAll, expect, it } from 'vitest';

const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const prefix = `test_backfill_${randomUUID().slice(0, 8)}`;
let client: mongoose.mongo.MongoClient;

interface Aggregate {
  _id: string;
  pendingEvents: unknown[];
  outboxPending?: boolean;
}

const event = (id: string) => ({
  id,
  type: 'order.created',
  occurredAt: new Date().toISOString(),
  version: 1,
  data: {},
});

beforeAll(async () => {
  client = await mongoose.mongo.MongoClient.connect(MONGO_URL);
});
afterAll(async () => {
  for (const service of ['orders', 'payments']) await client.db(`${prefix}_${service}`).dropDatabase();
  await client.close();
});

it('pnpm outbox:backfill flags the orders and payments that hold events without the flag, and only those', async () => {
  const orders = client.db(`${prefix}_orders`).collection<Aggregate>('orders');
  const payments = client.db(`${prefix}_payments`).collection<Aggregate>('payments');
  await orders.insertMany([
    { _id: 'legacy', pendingEvents: [event('e1')] },
    { _id: 'published', pendingEvents: [] },
    { _id: 'flagged', pendingEvents: [event('e2')], outboxPending: true },
  ]);
  await payments.insertOne({ _id: 'legacy', pendingEvents: [event('e3')] });

  const { stdout } = await promisify(execFile)('pnpm', ['-s', 'outbox:backfill'], {
    env: { ...process.env, MONGO_URL, MONGO_DB_PREFIX: prefix },
  });
  expect(stdout.trim().split('\n')).toEqual([
    `${prefix}_orders.orders: 1 documents flagged`,
    `${prefix}_payments.payments: 1 documents flagged`,
  ]);
  const flags = async (collection: typeof orders) =>
    Object.fromEntries((await collection.find().toArray()).map((doc) => [doc._id, doc.outboxPending ?? null]));
  expect(await flags(orders)).toEqual({ legacy: true, published: null, flagged: true });
  expect(await flags(payments)).toEqual({ legacy: true });
}, 60_000);
