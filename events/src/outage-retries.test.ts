// A handler that fails because something it needs did not answer waits the outage out on the
// retry ladder without using up the message's attempts, for up to its patience; any other failure
// still parks the message after EVENTS_MAX_ATTEMPTS. Real broker.
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspectDeadLetters } from './dead-letters.js';
import { EventBus, type SettledDelivery } from './event-bus.js';
import { orderCreated } from './order-created.event.js';
import { TEST_AMQP_URL as AMQP_URL, waitForConsumers } from './test-broker.js';
import { deleteConsumerTopology } from './topology.js';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const exchange = `outage-retries.${run}.events`;
const queue = `outage-retries.${run}.consumer`;
const retry = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 100, outagePatienceMs: 1_500 };

/** What the consumer's `outage` check recognises, as a database's "did not answer". */
class DependencyDown extends Error {}

/** Per order id, how its next handler runs fail: `outage`, `bug`, or (past the list) not at all. */
const script = new Map<string, ('outage' | 'bug' | 'forever-outage')[]>();
const handled: string[] = [];
const settled: SettledDelivery[] = [];
const failedAt = new Map<string, number[]>();

let admin: amqplib.ChannelModel;
let bus: EventBus;

/** This consumer's `events_outage_retries_total`. */
const outageRetries = async () => {
  const { values } = (await register.getSingleMetric('events_outage_retries_total')?.get()) ?? { values: [] };
  return values.find((value) => value.labels.queue === queue)?.value;
};
const outcomesOf = (eventId: string) =>
  settled.filter((delivery) => delivery.eventId === eventId).map((delivery) => delivery.outcome);
const publish = async (orderId: string, failures: ('outage' | 'bug' | 'forever-outage')[]) => {
  script.set(orderId, failures);
  const event = orderCreated.create({ orderId, userId: 'u1', totalAmount: '1.00', items: [] });
  expect(await bus.publish(event)).toEqual({ routed: true });
  return event.id;
};

beforeAll(async () => {
  admin = await amqplib.connect(AMQP_URL);
  const channel = await admin.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.close();
  bus = new EventBus({
    url: AMQP_URL,
    exchange,
    log: pino({ level: 'silent' }),
    connectionName: run,
    retry,
    outage: (error) => error instanceof DependencyDown,
  });
  bus.onSettled((delivery) => settled.push(delivery));
  await bus.subscribe({
    queue,
    events: [orderCreated],
    handler: async (event) => {
      const { orderId } = event.data as { orderId: string };
      const failures = script.get(orderId) ?? [];
      const next = failures[0] === 'forever-outage' ? 'forever-outage' : failures.shift();
      if (next === undefined) {
        handled.push(orderId);
        return;
      }
      failedAt.set(orderId, [...(failedAt.get(orderId) ?? []), Date.now()]);
      throw next === 'bug' ? new Error('a bug') : new DependencyDown('database away');
    },
  });
  await waitForConsumers(AMQP_URL, [queue]);
});

afterAll(async () => {
  await bus?.close();
  const channel = await admin.createChannel();
  await deleteConsumerTopology(channel, queue, retry.maxAttempts - 1);
  await channel.deleteExchange(exchange);
  await admin.close();
});

describe('a consumer whose dependency is away', () => {
  it('waits out an outage longer than its attempts would allow, then handles the event', async () => {
    expect(await outageRetries()).toBe(0);
    const id = await publish('o-outage', ['outage', 'outage', 'outage', 'outage', 'outage', 'outage']);
    await vi.waitFor(() => expect(handled).toContain('o-outage'), { timeout: 10_000 });
    expect(await outageRetries()).toBe(6);
    // Six failures, twice the three attempts, each moved to a retry queue (the ladder's last step
    // holds those past it) and none parked.
    expect(outcomesOf(id)).toEqual(['retried', 'retried', 'retried', 'retried', 'retried', 'retried', 'handled']);
  });

  it('parks an event whose outage outlasts its patience, saying so', async () => {
    const id = await publish('o-long', ['forever-outage']);
    await vi.waitFor(() => expect(outcomesOf(id)).toContain('parked'), { timeout: 10_000 });
    const failures = failedAt.get('o-long') ?? [];
    const [parked] = (await inspectDeadLetters(AMQP_URL, queue)).filter((message) => message.messageId === id);
    expect(parked).toMatchObject({ reason: 'outage', attempts: 0, outages: failures.length, error: 'database away' });
    // Parked no sooner than the patience after the first failure.
    expect(Date.parse(parked?.failedAt ?? '') - (failures[0] ?? 0)).toBeGreaterThanOrEqual(retry.outagePatienceMs);
    expect(outcomesOf(id).filter((outcome) => outcome === 'retried')).toHaveLength(failures.length - 1);
  });

  it('still parks a handler that fails for its own reasons after its attempts, outages aside', async () => {
    const id = await publish('o-bug', ['outage', 'bug', 'outage', 'bug', 'bug']);
    await vi.waitFor(() => expect(outcomesOf(id)).toContain('parked'), { timeout: 10_000 });
    expect(outcomesOf(id)).toEqual(['retried', 'retried', 'retried', 'retried', 'parked']);
    const [parked] = (await inspectDeadLetters(AMQP_URL, queue)).filter((message) => message.messageId === id);
    expect(parked).toMatchObject({ reason: 'handler-failed', attempts: 3, outages: 2, error: 'a bug' });
    const [waited, parkedOutage] = [failedAt.get('o-outage') ?? [], failedAt.get('o-long') ?? []];
    // Every outage failure retried was counted, the bug's own failures not.
    expect(await outageRetries()).toBe(waited.length + parkedOutage.length - 1 + 2);
    expect(handled).not.toContain('o-bug');
  });
});
