import { EventBus, type EventEnvelope, paymentSucceeded } from '@shop/events';
import { type Principal } from '@shop/platform/core';
import { OutboxRelay } from '@shop/platform/mongo';
import {
  TEST_AMQP_URL as AMQP_URL,
  connectTestMongo,
  createTestTokens,
  eventually,
  observeEvents,
  publishSettled,
  silentLogger,
  testContext,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOrders, type FixtureOrder, startFakeOrders } from '../order/fake-orders.server.js';
import { OrdersClient } from '../order/order.client.js';
import { PaymentModel } from './payment.model.js';
import { PaymentService } from './payment.service.js';
import { SimulatedPaymentProvider } from './simulated-payment.provider.js';

const tokens = createTestTokens();
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const orders = new Map<string, FixtureOrder>([
  ['order-1', { id: 'order-1', userId: ada.id, status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '19.99' }],
  ['order-2', { id: 'order-2', userId: ada.id, status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '5.00' }],
]);
const received: EventEnvelope[] = [];

let db: { drop: () => Promise<void> };
let fakeOrders: FakeOrders;
let bus: EventBus;
let relay: OutboxRelay;

beforeAll(async () => {
  db = await connectTestMongo('payments');
  fakeOrders = await startFakeOrders(tokens, orders);
  // A fixed test exchange and a queue that dies with this process: nothing is left behind.
  bus = new EventBus({
    url: AMQP_URL,
    exchange: 'test.payments.events',
    log: silentLogger,
    connectionName: 'payments-test',
  });
  await observeEvents(bus, 'test.payments.listener', [paymentSucceeded], received);
  // subscribe() may resolve before the broker has the binding: a probe settled by the listener says it is there.
  const probe = { paymentId: 'probe', orderId: 'probe', userId: 'probe', amount: '0.00', transactionId: 'probe' };
  await publishSettled(bus, 'test.payments.listener', paymentSucceeded.create(probe));
  relay = new OutboxRelay([PaymentModel], bus, silentLogger, 200);
  relay.start();
});
afterAll(async () => {
  await relay.stop();
  await bus.close();
  await fakeOrders.close();
  await db.drop();
});

describe('payment events', () => {
  it('publishes payment.succeeded once the payment is written, then empties the outbox', async () => {
    const payments = new PaymentService(new OrdersClient(fakeOrders.url), new SimulatedPaymentProvider(), relay);
    const ctx = { ...testContext(ada, { payments }), authorization: `Bearer ${await tokens.sign(ada)}` };
    const payment = await payments.processPayment(ctx, {
      orderId: 'order-1',
      paymentMethod: 'card',
      idempotencyKey: 'k',
    });

    const event = await eventually(async () =>
      received.find((e) => (e.data as { paymentId: string }).paymentId === payment.id),
    );
    expect(event).toMatchObject({ type: 'payment.succeeded', data: { orderId: 'order-1', amount: '19.99' } });
    await eventually(async () => (await PaymentModel.findById(payment.id).lean())?.pendingEvents.length === 0);
  });
});
