import { orderUpdated } from '@shop/events';
import { type Principal } from '@shop/platform/core';
import {
  connectTestMongo,
  createTestTokens,
  offlineOutbox,
  publishSettled,
  silentLogger,
  testContext,
  testEventBus,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToOrders } from './events.js';
import { type FakeOrders, type FixtureOrder, startFakeOrders } from './order/fake-orders.server.js';
import { OrdersClient } from './order/order.client.js';
import { PaymentModel } from './payment/payment.model.js';
import { PaymentService } from './payment/payment.service.js';
import type { RefundRequest } from './payment/payment-provider.js';
import { SimulatedPaymentProvider } from './payment/simulated-payment.provider.js';

const bus = testEventBus('payments-test');
const ORDERS = 'payments-test.orders';
const tokens = createTestTokens();
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };

class RefundCounter extends SimulatedPaymentProvider {
  readonly refunds: RefundRequest[] = [];
  override refund(request: RefundRequest) {
    this.refunds.push(request);
    return super.refund(request);
  }
}

const orders = new Map<string, FixtureOrder>();
const provider = new RefundCounter();
let db: { drop: () => Promise<void> };
let fakeOrders: FakeOrders;
let payments: PaymentService;

beforeAll(async () => {
  db = await connectTestMongo('payments');
  fakeOrders = await startFakeOrders(tokens, orders);
  payments = new PaymentService(new OrdersClient(fakeOrders.url), provider, offlineOutbox);
  await subscribeToOrders(bus, payments, silentLogger, ORDERS);
});
afterAll(async () => {
  await bus.close();
  await fakeOrders.close();
  await db.drop();
});

describe('payments consuming order.updated', () => {
  it('refunds the payment of an order that was cancelled after it was charged, once per payment', async () => {
    const orderId = 'order-cancelled-after-charge';
    orders.set(orderId, {
      id: orderId,
      userId: ada.id,
      status: 'PENDING',
      paymentStatus: 'PENDING',
      totalAmount: '8.00',
    });
    const ctx = { ...testContext(ada, { payments }), authorization: `Bearer ${await tokens.sign(ada)}` };
    const paid = await payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-cancelled' });
    const cancelled = orderUpdated.create({
      orderId,
      userId: ada.id,
      previousStatus: 'PENDING',
      status: 'CANCELLED',
      paymentStatus: 'PENDING',
    });
    // Handled, then delivered again, then the orders side's own record of the race
    // (CANCELLED → CANCELLED/REFUNDED), which is a cancellation too: one refund in all.
    await publishSettled(bus, ORDERS, cancelled);
    expect((await PaymentModel.findById(paid.id).lean())?.status).toBe('REFUNDED');
    await publishSettled(bus, ORDERS, cancelled);
    await publishSettled(
      bus,
      ORDERS,
      orderUpdated.create({
        orderId,
        userId: ada.id,
        previousStatus: 'CANCELLED',
        status: 'CANCELLED',
        paymentStatus: 'REFUNDED',
      }),
    );
    expect(provider.refunds.filter((refund) => refund.reference === paid.id)).toEqual([
      { reference: paid.id, transactionId: paid.transactionId, amountCents: 800 },
    ]);
  });

  it('ignores order updates other than cancellations', async () => {
    const ctx = { ...testContext(ada, { payments }), authorization: `Bearer ${await tokens.sign(ada)}` };
    const pay = async (orderId: string) => {
      orders.set(orderId, {
        id: orderId,
        userId: ada.id,
        status: 'PENDING',
        paymentStatus: 'PENDING',
        totalAmount: '3.00',
      });
      return payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: `k-${orderId}` });
    };
    const kept = await pay('order-paid');
    const marker = await pay('order-marker');
    const update = (orderId: string, status: 'PAID' | 'CANCELLED') =>
      orderUpdated.create({ orderId, userId: ada.id, previousStatus: 'PENDING', status, paymentStatus: 'PENDING' });
    await publishSettled(bus, ORDERS, update('order-paid', 'PAID'));
    expect((await PaymentModel.findById(kept.id).lean())?.status).toBe('SUCCEEDED');
    // The same consumer does refund a cancellation: the check above could have failed.
    await publishSettled(bus, ORDERS, update('order-marker', 'CANCELLED'));
    expect((await PaymentModel.findById(marker.id).lean())?.status).toBe('REFUNDED');
  });
});
