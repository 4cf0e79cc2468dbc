import { EventBus, type EventEnvelope, orderCreated, orderUpdated } from '@shop/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';
import { metricsRegistry } from './metrics.js';
import { OutboxRelay, PARKED_EVENTS, type ParkedEvent, pendingEventCount, raiseMissedOutboxFlags } from './outbox.js';
import { testAggregateModel } from './outbox.test-aggregate.js';
import {
  TEST_AMQP_URL as AMQP_URL,
  connectTestMongo,
  metricValue,
  observeEvents,
  publishSettled,
  recordingLogger,
  silentLogger,
} from './testing.js';

// A fixed test exchange and a queue that dies with this process: nothing accumulates.
const exchange = 'test.outbox.events';

const AggregateModel = testAggregateModel('outbox_aggregates');

let db: { drop: () => Promise<void> };
let bus: EventBus;
const received: EventEnvelope[] = [];

const pendingCount = () => AggregateModel.countDocuments({ outboxPending: true });
const parkedCount = async () =>
  metricValue(await metricsRegistry.metrics(), 'outbox_events_parked_total', { outbox: 'outbox_aggregates' });
const created = (orderId: string) => orderCreated.create({ orderId, userId: 'u', totalAmount: '1.00', items: [] });

beforeAll(async () => {
  db = await connectTestMongo('outbox');
  bus = new EventBus({ url: AMQP_URL, exchange, log: silentLogger, connectionName: 'outbox-test' });
  // Only order.created is bound: order.updated has no queue on this exchange.
  await observeEvents(bus, 'test.outbox.observer', [orderCreated], received);
  await publishSettled(bus, 'test.outbox.observer', created('probe'));
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
    const ids = new Set(events.map((event) => event.id));
    try {
      await eventually(async () => (await pendingCount()) === 0);
      await eventually(() => received.filter((event) => ids.has(event.id)).length >= events.length);

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
    // Both relays have stopped, their publishing over: a sentinel on the same queue comes after
    // any second copy either sent.
    await publishSettled(bus, 'test.outbox.observer', created('replicas-sentinel'));
    expect(received.filter((event) => ids.has(event.id))).toHaveLength(events.length);
  });

  it('publishes the events of a write handed to kick at once, and empties that outbox in one update', async () => {
    // A sweep every hour: only the kick can publish within this test.
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 3_600_000);
    const event = created('kicked');
    const written = await AggregateModel.create({ _id: 'kicked', pendingEvents: [event] });
    expect(written.toObject()).toMatchObject({ outboxPending: true });
    relay.kick({ model: AggregateModel, id: 'kicked', pendingEvents: written.toObject().pendingEvents });
    try {
      await eventually(() => received.some((seen) => seen.id === event.id));
      await eventually(async () => {
        const stored = await AggregateModel.findById('kicked').lean<{
          pendingEvents: unknown[];
          outboxPending?: boolean;
        }>();
        return stored?.pendingEvents.length === 0 && stored.outboxPending === undefined;
      });
    } finally {
      await relay.stop();
    }
  });

  it('sweeps events an update sets in place of the ones held (no kick), as it sweeps pushed ones', async () => {
    // No kick: the sweep alone must find these documents, by the flag their updates raised.
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 50);
    const [replaced, found, pushed] = ['set-replaced', 'set-found', 'set-pushed'].map(created);
    await AggregateModel.create([
      { _id: 'set-replaced', pendingEvents: [] },
      { _id: 'set-found', pendingEvents: [] },
      { _id: 'set-pushed', pendingEvents: [] },
    ]);
    await AggregateModel.updateOne({ _id: 'set-replaced' }, { $set: { pendingEvents: [replaced] } });
    await AggregateModel.findOneAndUpdate({ _id: 'set-found' }, { pendingEvents: [found] });
    await AggregateModel.updateOne({ _id: 'set-pushed' }, { $push: { pendingEvents: pushed } });
    expect(
      await AggregateModel.countDocuments({
        _id: { $in: ['set-replaced', 'set-found', 'set-pushed'] },
        outboxPending: true,
      }),
    ).toBe(3);
    relay.start();
    try {
      const ids = [replaced, found, pushed].map((event) => event?.id);
      await eventually(() => ids.every((id) => received.some((seen) => seen.id === id)));
    } finally {
      await relay.stop();
    }
  });

  describe('a publish after a write and a sweep of the same document, overlapping', () => {
    /**
     * The test's bus, with the publish of `held` kept waiting until `release`: the overlap happens
     * where it would on a busy machine. Records every event id it is asked to publish.
     */
    function heldBus(held: string) {
      const asked: string[] = [];
      let reached!: () => void;
      let release!: () => void;
      const holding = new Promise<void>((done) => {
        reached = done;
      });
      const released = new Promise<void>((done) => {
        release = done;
      });
      let waited = false;
      const publish = async (event: EventEnvelope) => {
        asked.push(event.id);
        if (event.id === held && !waited) {
          waited = true;
          reached();
          await released;
        }
        return bus.publish(event);
      };
      const proxy = new Proxy(bus, {
        get: (target, name) => {
          if (name === 'publish') return publish;
          const value = Reflect.get(target, name, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return { bus: proxy, asked, holding, release };
    }
    const twice = (asked: string[], id: string) => asked.filter((each) => each === id).length;

    it('publishes once when the write is handed over while a sweep publishes its document', async () => {
      const event = created('overlap-sweep-first');
      const held = heldBus(event.id);
      // No schedule of its own: passes only when kicked.
      const relay = new OutboxRelay([AggregateModel], held.bus, silentLogger, 3_600_000);
      try {
        await AggregateModel.create({ _id: 'overlap-sweep-first', pendingEvents: [event] });
        relay.kick();
        await held.holding;
        relay.kick({ model: AggregateModel, id: 'overlap-sweep-first', pendingEvents: [event] });
        held.release();
        await eventually(async () => (await pendingCount()) === 0);
        await eventually(() => received.some((each) => each.id === event.id));
        expect(twice(held.asked, event.id)).toBe(1);
      } finally {
        held.release();
        await relay.stop();
      }
    });

    it('publishes once when a sweep comes to a document whose write was published since the sweep read it', async () => {
      const [first, second] = [created('overlap-read-first'), created('overlap-read-second')];
      const held = heldBus(first.id);
      const relay = new OutboxRelay([AggregateModel], held.bus, silentLogger, 3_600_000);
      try {
        await AggregateModel.create({ _id: 'overlap-read-first', pendingEvents: [first] });
        await AggregateModel.create({ _id: 'overlap-read-second', pendingEvents: [second] });
        // The sweep reads both, and waits on the first while the second's write publishes it.
        relay.kick();
        await held.holding;
        relay.kick({ model: AggregateModel, id: 'overlap-read-second', pendingEvents: [second] });
        await eventually(
          async () => (await AggregateModel.findById('overlap-read-second').lean())?.pendingEvents.length === 0,
        );
        held.release();
        await eventually(async () => (await pendingCount()) === 0);
        await relay.stop();
        expect([twice(held.asked, first.id), twice(held.asked, second.id)]).toEqual([1, 1]);
      } finally {
        held.release();
        await relay.stop();
      }
    });
  });

  it('refuses a kick of a collection it does not sweep, whose events a crash would leave unpublished', async () => {
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 3_600_000);
    const elsewhere = testAggregateModel('outbox_unswept');
    const written = await elsewhere.create({ _id: 'unswept', pendingEvents: [created('unswept')] });
    expect(() =>
      relay.kick({ model: elsewhere, id: 'unswept', pendingEvents: written.toObject().pendingEvents }),
    ).toThrow('the outbox relay does not sweep outbox_unswept');
    await elsewhere.collection.drop();
  });

  it('publishes events written without the flag once raiseMissedOutboxFlags has raised it', async () => {
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 50);
    const event = created('unflagged');
    // As an older release (or a write around outboxPlugin) left it: events, no flag.
    await AggregateModel.collection.insertOne({ _id: 'unflagged' as never, pendingEvents: [event] });
    await AggregateModel.collection.insertOne({ _id: 'unflagged-empty' as never, pendingEvents: [] });
    expect(await raiseMissedOutboxFlags(AggregateModel.collection)).toBe(1);
    expect(await raiseMissedOutboxFlags(AggregateModel.collection)).toBe(0);
    relay.start();
    try {
      await eventually(() => received.some((seen) => seen.id === event.id));
      await eventually(async () => (await AggregateModel.findById('unflagged').lean())?.pendingEvents.length === 0);
      expect(await AggregateModel.findById('unflagged-empty').lean()).not.toHaveProperty('outboxPending');
    } finally {
      await relay.stop();
    }
  });

  it('parks an event no queue is bound to, counts and logs it, and publishes the events after it', async () => {
    const { log, lines: errors } = recordingLogger('error');
    const relay = new OutboxRelay([AggregateModel], bus, log, 50);
    const unroutable = orderUpdated.create({
      orderId: 'stuck',
      userId: 'u',
      previousStatus: 'PENDING',
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });
    const later = created('stuck');
    const parkedBefore = await parkedCount();
    await AggregateModel.create({ _id: 'stuck', pendingEvents: [unroutable, later] });
    relay.start();
    try {
      await eventually(() => received.some((event) => event.id === later.id));
      const parked = await AggregateModel.db.collection<ParkedEvent>(PARKED_EVENTS).findOne({ _id: unroutable.id });
      expect(parked).toMatchObject({ outbox: 'outbox_aggregates', documentId: 'stuck', reason: 'unroutable' });
      expect(parked?.event.id).toBe(unroutable.id);
      expect(await parkedCount()).toBe(parkedBefore + 1);
      expect(errors).toContainEqual(expect.objectContaining({ eventId: unroutable.id, outbox: 'outbox_aggregates' }));
      await eventually(async () => (await AggregateModel.findById('stuck').lean())?.pendingEvents.length === 0);
    } finally {
      await relay.stop();
    }
  });
});

describe('pendingEventCount (outbox_pending_events)', () => {
  it('counts the waiting events in the database, over at most the given number of documents', async () => {
    const Backlog = testAggregateModel('outbox_backlog');
    for (let i = 0; i < 5; i++) {
      await Backlog.create({ _id: `backlog-${i}`, pendingEvents: [created(`b${i}-1`), created(`b${i}-2`)] });
    }
    // Flagged but emptied (a relay between its two writes): no events. Unflagged: not read.
    await Backlog.create({ _id: 'emptied', pendingEvents: [created('e')] });
    await Backlog.updateOne({ _id: 'emptied' }, { $set: { pendingEvents: [] } });
    await Backlog.collection.insertOne({ _id: 'unflagged' as never, pendingEvents: [created('u')] });

    expect(await pendingEventCount(Backlog)).toBe(10);
    // A backlog larger than one scrape reads shows as at least the events of the documents it read.
    expect(await pendingEventCount(Backlog, 3)).toBeGreaterThanOrEqual(4);
    expect(await pendingEventCount(Backlog, 3)).toBeLessThanOrEqual(6);
    await Backlog.deleteMany({});
    expect(await pendingEventCount(Backlog)).toBe(0);
  });
});
