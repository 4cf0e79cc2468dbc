import { fileURLToPath } from 'node:url';
import { connectTestMongo, offlineOutbox, runReplicas, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrdersClient } from '../order/order.client.js';
import { PaymentModel } from './payment.model.js';
import { PaymentService } from './payment.service.js';
import { PaymentStatus } from './payment.type.js';
import { SimulatedPaymentProvider, SimulatorLedgerModel } from './simulated-payment.provider.js';

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
    const outcomes = await runReplicas<number | 'busy'>(
      fileURLToPath(new URL('payment-refund.test-replica.ts', import.meta.url)),
      REPLICAS,
      { ORDER_ID: orderId },
    );
    // One replica refunded; the others either found it claimed (and would be retried) or done.
    expect(outcomes.filter((outcome) => outcome === 1)).toHaveLength(1);

    // The bus retries the losers' deliveries: nothing more reaches the provider.
    const payments = new PaymentService(
      new OrdersClient('http://127.0.0.1:9/graphql'),
      new SimulatedPaymentProvider(),
      offlineOutbox,
    );
    expect(await payments.refundCancelledOrder({ requestId: 'replay', log: silentLogger }, orderId)).toBe(0);

    expect((await SimulatorLedgerModel.findById(`refund:${paymentId}`).lean())?.calls).toBe(1);
    expect(await SimulatorLedgerModel.countDocuments({ kind: 'refund', reference: paymentId })).toBe(1);
    expect((await PaymentModel.findById(paymentId).lean())?.status).toBe(PaymentStatus.REFUNDED);
  }, 60_000);
});
