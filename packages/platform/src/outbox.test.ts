import { EventBus, type EventEnvelope, orderCreated, orderUpdated } from '@shop/events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OutboxRelay } from './outbox.js';
import { testAggregateModel } from './outbox.test-aggregate.js';
import { TEST_AMQP_URL as AMQP_URL, connectTestMongo, silentLogger } from './testing.js';

// A fixed test exchange and a queue that dies with this process: nothing accumulates.
const exchange = 'test.outbox.events';

const AggregateModel = testAggregateModel('outbox_aggregates');

let db: { drop: () => Promise<void> };
let bus: EventBus;
const received: EventEnvelope[] = [];

/** vi.waitFor until `probe` returns something truthy, which it returns. */
const eventually = <T>(probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> =>
  vi.waitFor(
    async () => {
      const value = await probe();
      if (!value) throw new Error('condition not met');
      return value;
    },
    { timeout: 15_000, interval: 100 },
  );
const pendingCount = () => AggregateModel.countDocuments({ 'pendingEvents.0': { $exists: true } });
const created = (orderId: string) => orderCreated.create({ orderId, userId: 'u', totalAmount: '1.00', items: [] });

beforeAll(async () => {
  db = await connectTestMongo('outbox');
  bus = new EventBus({ url: AMQP_URL, exchange, log: silentLogger, connectionName: 'outbox-test' });
  // Only order.created is bound: order.updated has no queue on this exchange.
  await bus.subscribe({
    queue: 'test.outbox.observer',
    exclusive: true,
    events: [orderCreated],
    handler: async (event) => {
      received.push(event);
    },
  });
  const probe = created('probe');
  await eventually(async () => (await bus.publish(probe)).routed && received.some((event) => event.id === probe.id));
});
afterAll(async () => {
  await bus.close();
  await db.drop();
});

describe('OutboxRelay', () => {
  it('publishes each event once with two replicas running, the lease holder alone publishing', async () => {
    const replicas = [0, 1].map(() => new OutboxRelay([AggregateModel], bus, silentLogger, 50));
    const events = Array.from({ length: 30 }, (_, i) => created(`replicas-${i}`));
    for (const [i, event] of events.entries()) {
      await AggregateModel.create({ _id: `replicas-${i}`, pendingEvents: [event] });
    }
    for (const relay of replicas) relay.start();
    try {
      await eventually(async () => (await pendingCount()) === 0);
      const ids = new Set(events.map((event) => event.id));
      await eventually(() => received.filter((event) => ids.has(event.id)).length >= events.length);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.filter((event) => ids.has(event.id))).toHaveLength(events.length);

      // The holder stops and hands over at once: the other replica publishes what comes next.
      const lease = await AggregateModel.db.collection('outbox_leases').findOne({ _id: 'outbox_aggregates' as never });
      const holder = replicas.find((relay) => (relay as unknown as { owner: string }).owner === lease?.owner);
      await holder?.stop();
      const next = created('after-handover');
      await AggregateModel.create({ _id: 'after-handover', pendingEvents: [next] });
      await eventually(() => received.some((event) => event.id === next.id));
    } finally {
      for (const relay of replicas) await relay.stop();
    }
  });

  it('keeps an event no queue is bound to, and the events after it, until one is', async () => {
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 50);
    const unroutable = orderUpdated.create({
      orderId: 'stuck',
      userId: 'u',
      previousStatus: 'PENDING',
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });
    const later = created('stuck');
    await AggregateModel.create({ _id: 'stuck', pendingEvents: [unroutable, later] });
    await AggregateModel.create({ _id: 'unblocked', pendingEvents: [created('unblocked')] });
    relay.start();
    try {
      // A stuck document does not hold back the others.
      await eventually(() => received.some((event) => (event.data as { orderId: string }).orderId === 'unblocked'));
      const stuck = await AggregateModel.findById('stuck').lean();
      expect(stuck?.pendingEvents.map((event) => event.id)).toEqual([unroutable.id, later.id]);
      expect(received.some((event) => event.id === later.id)).toBe(false);
    } finally {
      await relay.stop();
    }
  });
});
