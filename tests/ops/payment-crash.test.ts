// Fault test: the payments process is killed (SIGKILL) after the provider took a charge and before
// the payment was settled. Restarted, it settles the payment to the provider's truth by
// reconciliation, and the customer was charged exactly once.
import { createTestTokens, eventually, freePort, TEST_AMQP_URL } from '@shop/platform/testing';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUnrevokedTokenVersions } from '../../gateway/src/gateway.test-fixture.js';
import {
  type FakeOrders,
  type FixtureOrder,
  startFakeOrders,
} from '../../subgraphs/payments/src/order/fake-orders.server.js';
import { JWT_SECRET, readiness, ServiceProcess } from './private-services.js';

const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const prefix = `ops_paycrash_${process.pid}`;
const tokens = createTestTokens();
const ada = { id: 'user-ada', role: 'CUSTOMER' as const };
const orders = new Map<string, FixtureOrder>([
  [
    'order-crash',
    { id: 'order-crash', userId: ada.id, status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '30.00' },
  ],
]);
let fakeOrders: FakeOrders;
let port: number;
let db: Connection;
let payments: ServiceProcess | undefined;
/** Answers the revocation check of the customer's direct calls to the payments port: nothing revoked. */
let users: { url: string; close: () => Promise<void> };

const start = (label: string, env: Record<string, string>) =>
  new ServiceProcess(
    'subgraphs/payments',
    {
      JWT_SECRET,
      PAYMENTS_PORT: String(port),
      MONGO_URL,
      MONGO_DB_PREFIX: prefix,
      AMQP_URL: TEST_AMQP_URL,
      AMQP_EXCHANGE: 'ops-payments.events',
      ORDERS_URL: fakeOrders.url,
      USERS_URL: users.url,
      PAYMENT_RECONCILE_GRACE: '2s',
      PAYMENT_RECONCILE_INTERVAL: '1s',
      ...env,
    },
    label,
  );

beforeAll(async () => {
  users = await startUnrevokedTokenVersions();
  fakeOrders = await startFakeOrders(tokens, orders);
  port = await freePort();
  db = await mongoose.createConnection(MONGO_URL, { dbName: `${prefix}_payments` }).asPromise();
}, 30_000);
afterAll(async () => {
  await users?.close();
  await payments?.stop();
  await fakeOrders.close();
  await db.dropDatabase();
  await db.close();
});

describe('payments killed between charge and settle', () => {
  it('settles the payment to the provider ledger after a restart, with one charge', async () => {
    // The simulator takes the charge, then holds its answer for a minute: the window to kill in.
    payments = start('crash-1', { PAYMENT_SIMULATOR_DELAY_MS: '60000' });
    await eventually(async () => (await readiness(port)).status === 200, 60_000, 'payments ready');
    const request = fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokens.sign(ada)}` },
      body: JSON.stringify({
        query: 'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { id status } }',
        variables: { input: { orderId: 'order-crash', paymentMethod: 'card', idempotencyKey: 'k-crash' } },
      }),
    }).catch(() => undefined); // the process dies under it
    const charge = await eventually(
      () => db.collection('simulator_ledger').findOne({ kind: 'charge' }),
      30_000,
      'the provider took the charge',
    );
    if (!charge) throw new Error('no charge');
    const paymentId = String(charge.reference);
    payments.child.kill('SIGKILL');
    await payments.exited();
    await request;
    expect(await db.collection('payments').findOne({ _id: new mongoose.Types.ObjectId(paymentId) })).toMatchObject({
      status: 'PENDING',
    });

    payments = start('crash-2', {});
    const settled = await eventually(
      async () => {
        const payment = await db.collection('payments').findOne({ _id: new mongoose.Types.ObjectId(paymentId) });
        return payment?.status === 'PENDING' ? undefined : payment;
      },
      60_000,
      'payment settled after the restart',
    );
    expect(settled).toMatchObject({ status: 'SUCCEEDED', transactionId: charge.transactionId, amountCents: 3_000 });
    expect(await db.collection('simulator_ledger').countDocuments({ kind: 'charge' })).toBe(1);
    expect((await db.collection('simulator_ledger').findOne({ kind: 'charge' }))?.calls).toBe(1);
    expect(await db.collection('payments').countDocuments({})).toBe(1);
  }, 120_000);
});
