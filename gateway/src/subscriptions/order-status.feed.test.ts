import { randomUUID } from 'node:crypto';
import { EventBus, orderUpdated } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderStatusFeed } from './order-status.feed.js';

const bus = new EventBus({
  url: AMQP_URL,
  exchange: 'shop.events',
  log: silentLogger,
  connectionName: 'gateway-feed-test',
});
const feed = new OrderStatusFeed();

// Random ids: other suites may publish on the same test exchange.
const [orderA, orderB, orderC, probeId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

const updated = (orderId: string, status: 'PAID' | 'SHIPPED' = 'PAID') =>
  orderUpdated.create({ orderId, userId: 'u1', previousStatus: 'PENDING', status, paymentStatus: 'SUCCEEDED' });

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

beforeAll(async () => {
  await feed.listen(bus);
  // The consumer's queue is bound asynchronously: publish probes until one comes back.
  const probe = feed.subscribe(probeId);
  const next = probe.next();
  for (let attempt = 0; attempt < 50; attempt++) {
    await bus.publish(updated(probeId));
    if ((await within(next, 200)) !== 'timeout') break;
  }
  await probe.return?.();
});
afterAll(() => bus.close());

describe('OrderStatusFeed', () => {
  it("delivers each order's events from RabbitMQ to that order's subscribers only", async () => {
    const first = feed.subscribe(orderA);
    const second = feed.subscribe(orderA);
    const other = feed.subscribe(orderB);
    const event = updated(orderA, 'SHIPPED');
    await bus.publish(event);
    expect((await first.next()).value).toEqual(event);
    expect((await second.next()).value).toEqual(event);
    expect(await within(other.next(), 300)).toBe('timeout');
    await Promise.all([first.return?.(), second.return?.(), other.return?.()]);
  });

  it('releases the listener when a subscriber stops, even while it waits for an event', async () => {
    const subscription = feed.subscribe(orderC);
    expect(feed.listenerCount(orderC)).toBe(1);
    const pending = subscription.next();
    await subscription.return?.();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(feed.listenerCount(orderC)).toBe(0);
  });
});
