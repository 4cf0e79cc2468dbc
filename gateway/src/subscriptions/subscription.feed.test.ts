import { randomUUID } from 'node:crypto';
import { EventBus, orderUpdated, paymentFailed, paymentSucceeded } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { declaredSubscriptions } from './declared-subscriptions.js';
import { orderStatusChanged } from './order-status-changed.subscription.js';
import { paymentStatusChanged } from './payment-status-changed.subscription.js';
import { SubscriptionFeed } from './subscription.feed.js';

const bus = new EventBus({
  url: AMQP_URL,
  exchange: TEST_EXCHANGE,
  log: silentLogger,
  connectionName: 'gateway-feed-test',
});
const feed = new SubscriptionFeed(declaredSubscriptions);

// Random ids: other suites may publish on the same test exchange.
const [orderA, orderB, orderC, orderD, probeId] = [
  randomUUID(),
  randomUUID(),
  randomUUID(),
  randomUUID(),
  randomUUID(),
];

const updated = (orderId: string, status: 'PAID' | 'SHIPPED' = 'PAID') =>
  orderUpdated.create({ orderId, userId: 'u1', previousStatus: 'PENDING', status, paymentStatus: 'SUCCEEDED' });

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

beforeAll(async () => {
  await feed.listen(bus);
  // The consumer's queue is bound asynchronously: publish probes until one comes back.
  const probe = feed.subscribe(orderStatusChanged, probeId);
  const next = probe.next();
  for (let attempt = 0; attempt < 50; attempt++) {
    await bus.publish(updated(probeId));
    if ((await within(next, 200)) !== 'timeout') break;
  }
  await probe.return?.();
});
afterAll(() => bus.close());

describe('SubscriptionFeed', () => {
  it("delivers each order's events from RabbitMQ to that order's subscribers only", async () => {
    const first = feed.subscribe(orderStatusChanged, orderA);
    const second = feed.subscribe(orderStatusChanged, orderA);
    const other = feed.subscribe(orderStatusChanged, orderB);
    const event = updated(orderA, 'SHIPPED');
    await bus.publish(event);
    expect((await first.next()).value).toEqual(event);
    expect((await second.next()).value).toEqual(event);
    expect(await within(other.next(), 300)).toBe('timeout');
    await Promise.all([first.return?.(), second.return?.(), other.return?.()]);
  });

  it('releases the listener when a subscriber stops, even while it waits for an event', async () => {
    const subscription = feed.subscribe(orderStatusChanged, orderC);
    expect(feed.listenerCount(orderStatusChanged, orderC)).toBe(1);
    const pending = subscription.next();
    await subscription.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(feed.listenerCount(orderStatusChanged, orderC)).toBe(0);
  });

  it("delivers a payment's outcomes to the subscribers of its order's payment only", async () => {
    const payments = feed.subscribe(paymentStatusChanged, orderD);
    const orders = feed.subscribe(orderStatusChanged, orderD);
    const paid = { paymentId: randomUUID(), orderId: orderD, userId: 'u1', amount: '19.99' };
    const failed = paymentFailed.create({ ...paid, failureReason: 'card_declined' });
    const succeeded = paymentSucceeded.create({ ...paid, transactionId: 'tx-1' });
    await bus.publish(failed);
    await bus.publish(succeeded);
    expect((await payments.next()).value).toEqual(failed);
    expect((await payments.next()).value).toEqual(succeeded);
    // The order's own subscribers hear of the order's change (`order.updated`, the sentinel), not of the payment.
    const sentinel = updated(orderD);
    await bus.publish(sentinel);
    expect((await orders.next()).value).toEqual(sentinel);
    await Promise.all([payments.return?.(), orders.return?.()]);
    expect(feed.totalListeners()).toBe(0);
  });
});
