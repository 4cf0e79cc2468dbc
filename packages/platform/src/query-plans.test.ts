import { EventBus, type EventEnvelope, orderCreated } from '@shop/events';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EffectClaims } from './effect-claims.js';
import { eventually } from './eventually.js';
import { OutboxRelay } from './outbox.js';
import { testAggregateModel } from './outbox.test-aggregate.js';
import {
  TEST_AMQP_URL as AMQP_URL,
  analyzeCollection,
  connectTestMongo,
  explainShapes,
  observeEvents,
  type PlanReport,
  publishSettled,
  recordQueryShapes,
  silentLogger,
} from './testing.js';

// The platform's own collections (outbox relay and its leases, effect claims),
// driven through their real code; the services' plan tests cover their own collections.
const exchange = 'test.plans.events';
const AggregateModel = testAggregateModel('plans_aggregates');

let db: { drop: () => Promise<void> };
let bus: EventBus;
let report: PlanReport;
const received: EventEnvelope[] = [];
const created = (orderId: string) => orderCreated.create({ orderId, userId: 'u', totalAmount: '1.00', items: [] });

beforeAll(async () => {
  db = await connectTestMongo('plans');
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  bus = new EventBus({ url: AMQP_URL, exchange, log: silentLogger, connectionName: 'plans-test' });
  await observeEvents(bus, 'test.plans.observer', [orderCreated], received);
  await publishSettled(bus, 'test.plans.observer', created('probe'));

  const recorder = recordQueryShapes();
  const events = [created('plans-1'), created('plans-2')];
  for (const [i, event] of events.entries()) await AggregateModel.create({ _id: `plans-${i}`, pendingEvents: [event] });
  const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 50);
  relay.start();
  await eventually(() => events.every((event) => received.some((seen) => seen.id === event.id)));
  await relay.stop(); // waits for the pass that published them, and so for their removal
  // The write path: a write's events handed to kick, published and removed at once.
  const kicked = created('plans-kicked');
  const written = await AggregateModel.create({ _id: 'plans-kicked', pendingEvents: [kicked] });
  const writer = new OutboxRelay([AggregateModel], bus, silentLogger, 3_600_000);
  writer.kick({ model: AggregateModel, id: 'plans-kicked', pendingEvents: written.toObject().pendingEvents });
  await eventually(() => received.some((seen) => seen.id === kicked.id));
  await writer.stop();

  const claims = new EffectClaims(60_000);
  const first = await claims.claim('plans-effect-1');
  if (first.state === 'claimed') await claims.settle(first.claim);
  await claims.claim('plans-effect-1');
  const second = await claims.claim('plans-effect-2');
  if (second.state === 'claimed') await claims.release(second.claim);

  // A filter on a field no index leads with: the check must catch it.
  await mongoose.connection.collection('plans_unindexed').findOne({ colour: 'red' });
  recorder.stop();
  report = await explainShapes(recorder.shapes());
}, 120_000);
afterAll(async () => {
  await bus?.close();
  await db?.drop();
});

describe('query plans of the platform collections (explain through the wire)', () => {
  it('finds the filter no index serves, and no other sequential scan', () => {
    expect(report.scanned).toEqual(['plans_unindexed find {"colour":"?"}']);
  });

  it('serves every other filter of the outbox, its leases, processed events and effect claims from an index', () => {
    expect(report.served.length).toBeGreaterThanOrEqual(6);
    expect(report.servedCollections).toEqual(
      expect.arrayContaining(['plans_aggregates', 'outbox_leases', 'effect_claims']),
    );
    // The relay's sweep is an equality on a top-level flag, which FerretDB hands to PostgreSQL.
    expect(report.served).toContain('plans_aggregates find {"outboxPending":"?"}');
    console.info(`not pushed down: ${JSON.stringify(report.notPushedDown)}`);
    expect(report.notPushedDown).toEqual([]);
  });

  it('judges an indexed filter by the padded collection, though the table was analyzed before the padding', async () => {
    // Most documents hold the value, and the table is analyzed then (as autovacuum may do at any
    // time): statistics left so would make a whole read the right plan for it, index or not.
    const common = mongoose.connection.collection('plans_common');
    await common.createIndex({ colour: 1 });
    await common.insertMany(Array.from({ length: 1_000 }, (_, i) => ({ colour: i < 950 ? 'red' : 'blue' })));
    await analyzeCollection('plans_common');
    const shape = { key: 'plans_common find {"colour":"?"}', collection: 'plans_common', filter: { colour: 'red' } };
    expect((await explainShapes([shape])).served).toEqual([shape.key]);
  });
});
