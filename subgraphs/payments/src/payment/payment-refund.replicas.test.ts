import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectTestMongo, silentLogger } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrdersClient } from '../order/order.client.js';
import { PaymentModel } from './payment.model.js';
import { PaymentService } from './payment.service.js';
import { PaymentStatus } from './payment.type.js';
import { SimulatedPaymentProvider, SimulatorCallModel, SimulatorLedgerModel } from './simulated-payment.provider.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const REPLICAS = 3;

let db: { drop: () => Promise<void> };
beforeAll(async () => {
  db = await connectTestMongo('payments');
});
afterAll(() => db.drop());

/** A SUCCEEDED payment of `orderId`, charged at the simulator under its own id. */
async function chargedPayment(orderId: string): Promise<string> {
  const created = await PaymentModel.create({
    userId: 'user-ada',
    orderId,
    amountCents: 1_250,
    paymentMethod: 'card',
    idempotencyKey: `k-${orderId}`,
    requestFingerprint: 'f',
    orderSlot: orderId,
  });
  const id = String(created._id);
  const charged = await new SimulatedPaymentProvider().charge({
    reference: id,
    amountCents: 1_250,
    paymentMethod: 'card',
  });
  if (charged.outcome !== 'succeeded') throw new Error('the simulator declined a card');
  await PaymentModel.updateOne(
    { _id: id },
    { $set: { status: PaymentStatus.SUCCEEDED, transactionId: charged.transactionId } },
  );
  return id;
}

describe('refunding one cancellation in several replicas at once', () => {
  it('calls the provider to refund once, and every later replay refunds nothing', async () => {
    const orderId = 'order-cancelled-replicas';
    const paymentId = await chargedPayment(orderId);
    const env = {
      ...process.env,
      TSX_TSCONFIG_PATH: resolve(here, '../../../../tsconfig.json'),
      REPLICA_DB: mongoose.connection.name,
      ORDER_ID: orderId,
      // Long enough for every replica to have started and connected.
      START_AT: String(Date.now() + 6_000),
    };
    const outputs = await Promise.all(
      Array.from({ length: REPLICAS }, () =>
        run(
          process.execPath,
          ['--import', 'tsx', '--conditions=source', resolve(here, 'payment-refund.test-replica.ts')],
          { env, cwd: resolve(here, '../..') },
        ),
      ),
    );
    const outcomes = outputs.map(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null'));
    // One replica refunded; the others either found it claimed (and would be retried) or done.
    expect(outcomes.filter((outcome) => outcome === 1)).toHaveLength(1);

    // The bus retries the losers' deliveries: nothing more reaches the provider.
    const payments = new PaymentService(
      new OrdersClient('http://127.0.0.1:9/graphql'),
      new SimulatedPaymentProvider(),
      {
        kick: () => {},
      },
    );
    expect(await payments.refundCancelledOrder({ requestId: 'replay', log: silentLogger }, orderId)).toBe(0);

    expect(await SimulatorCallModel.countDocuments({ operation: 'refund', reference: paymentId })).toBe(1);
    expect(await SimulatorLedgerModel.countDocuments({ kind: 'refund', reference: paymentId })).toBe(1);
    expect((await PaymentModel.findById(paymentId).lean())?.status).toBe(PaymentStatus.REFUNDED);
  }, 60_000);
});
