// Upgrading a broker that holds the v1 topology (queues that dead-lettered through the default
// exchange, which RabbitMQ refuses to redeclare with the current arguments): whatever the old
// queues hold ends up in the current ones, in the place it belongs, and the old queues are gone.
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspectDeadLetters, replayDeadLetters } from './dead-letters.js';
import type { EventEnvelope } from './envelope.js';
import { EventBus } from './event-bus.js';
import { legacyRetryQueueName } from './legacy-queues.js';
import { declareV1Queues } from './legacy-queues.test-fixture.js';
import { paymentSucceeded } from './payment-succeeded.event.js';
import { TEST_AMQP_URL as AMQP_URL } from './test-broker.js';
import { deadLetterQueueName, deleteConsumerTopology, HEADERS, retryQueueName } from './topology.js';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const exchange = `legacy.${run}.events`;
const RETRY_STEPS = 2;
const retry = { maxAttempts: RETRY_STEPS + 1, baseDelayMs: 100, maxDelayMs: 100 };
const silent = pino({ level: 'silent' });

let admin: amqplib.ChannelModel;
const consumers: string[] = [];

async function declareV1(queue: string): Promise<void> {
  const channel = await admin.createChannel();
  await declareV1Queues(channel, queue, { exchange, eventTypes: [paymentSucceeded.type], retrySteps: RETRY_STEPS });
  await channel.close();
}

const payment = (paymentId: string) =>
  paymentSucceeded.create({ paymentId, orderId: 'o1', userId: 'u1', amount: '10.00', transactionId: 't1' });

/** Straight into a v1 queue, with the properties the v1 bus gave retried and parked messages. */
async function putInto(queue: string, event: EventEnvelope, headers: Record<string, unknown>, expiration?: string) {
  const channel = await admin.createConfirmChannel();
  channel.sendToQueue(queue, Buffer.from(JSON.stringify(event)), {
    persistent: true,
    contentType: 'application/json',
    messageId: event.id,
    type: event.type,
    headers,
    ...(expiration ? { expiration } : {}),
  });
  await channel.waitForConfirms();
  await channel.close();
}

/** A queue's depth, or undefined once it does not exist (a failed check closes its channel). */
async function depthOf(queue: string): Promise<number | undefined> {
  const channel = await admin.createChannel();
  channel.on('error', () => {});
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } catch {
    return undefined;
  } finally {
    await channel.close().catch(() => {});
  }
}

/** A bus consuming `queue` whose handler counts runs per payment id. */
function consumer(queue: string) {
  const bus = new EventBus({ url: AMQP_URL, exchange, log: silent, connectionName: `legacy-${run}`, retry });
  const runs = new Map<string, number>();
  // As a process starts: its subscriptions, then the once-per-process move of v1 queues.
  const started = bus.subscribe({
    queue,
    events: [paymentSucceeded],
    handler: async ({ data }) => {
      const { paymentId } = data as { paymentId: string };
      runs.set(paymentId, (runs.get(paymentId) ?? 0) + 1);
    },
  });
  return { bus, runs, started: started.then(() => bus.migrateLegacyQueues()) };
}

beforeAll(async () => {
  admin = await amqplib.connect(AMQP_URL);
  const channel = await admin.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.close();
});

afterAll(async () => {
  const channel = await admin.createChannel();
  for (const queue of consumers) {
    for (let step = 1; step <= RETRY_STEPS; step++) await channel.deleteQueue(legacyRetryQueueName(queue, step));
    await channel.deleteQueue(queue);
    await deleteConsumerTopology(channel, queue, RETRY_STEPS);
  }
  await channel.deleteExchange(exchange);
  await admin.close();
});

describe('moving a consumer off the v1 queues (legacy-queues.ts)', () => {
  it('moves work, retry and parked messages where they belong, then deletes the v1 queues', async () => {
    const queue = `legacy.${run}.moved`;
    consumers.push(queue);
    await declareV1(queue);
    const waiting = payment('waiting'); // in the v1 work queue, never consumed
    const published = payment('published'); // on the shared exchange while only the v1 queue is bound
    const longRetry = payment('long-retry'); // waits ten minutes in the first retry step
    const shortRetry = payment('short-retry'); // due soon in the second retry step
    const parked = payment('parked');
    await putInto(queue, waiting, {});
    const publisher = await admin.createConfirmChannel();
    publisher.publish(exchange, published.type, Buffer.from(JSON.stringify(published)), { messageId: published.id });
    await publisher.waitForConfirms();
    await publisher.close();
    await putInto(legacyRetryQueueName(queue, 1), longRetry, { [HEADERS.attempts]: 1 }, '600000');
    await putInto(legacyRetryQueueName(queue, 2), shortRetry, { [HEADERS.attempts]: 2 }, '500');
    await putInto(deadLetterQueueName(queue), parked, { [HEADERS.reason]: 'handler-failed', [HEADERS.attempts]: 3 });

    const { bus, runs, started } = consumer(queue);
    try {
      await started; // the move is a start-up step, after subscribing
      for (const v1 of [queue, legacyRetryQueueName(queue, 1), legacyRetryQueueName(queue, 2)])
        expect(await depthOf(v1)).toBeUndefined();

      await vi.waitFor(() => expect(runs.get('short-retry')).toBe(1), { timeout: 20_000 });
      expect(runs.get('waiting')).toBe(1);
      expect(runs.get('published')).toBe(1);

      // Still waiting, in the step it was in, with its retry count.
      expect(await depthOf(retryQueueName(queue, 1))).toBe(1);
      const channel = await admin.createChannel();
      const stillWaiting = await channel.get(retryQueueName(queue, 1));
      await channel.close(); // returns it to its queue
      if (!stillWaiting) throw new Error('the waiting retry is gone');
      expect(stillWaiting.properties).toMatchObject({
        messageId: longRetry.id,
        expiration: '600000',
        headers: { [HEADERS.attempts]: 1 },
      });
      expect(runs.has('long-retry')).toBe(false);

      // Parked stays parked, and replays to the current work queue.
      expect((await inspectDeadLetters(AMQP_URL, queue)).map((message) => message.messageId)).toEqual([parked.id]);
      expect(await replayDeadLetters(AMQP_URL, queue)).toEqual([parked.id]);
      await vi.waitFor(() => expect(runs.get('parked')).toBe(1), { timeout: 20_000 });

      // New events reach the current queue only, once.
      const after = payment('after');
      expect((await bus.publish(after)).routed).toBe(true);
      await vi.waitFor(() => expect(runs.get('after')).toBe(1), { timeout: 20_000 });
    } finally {
      await bus.close();
    }
  });

  it('leaves the v1 queues alone while a replica of the old version still consumes them', async () => {
    const queue = `legacy.${run}.attached`;
    consumers.push(queue);
    await declareV1(queue);
    const old = await admin.createChannel();
    await old.prefetch(1);
    await old.consume(queue, () => {}); // holds what it gets, acks nothing
    await putInto(legacyRetryQueueName(queue, 1), payment('held'), { [HEADERS.attempts]: 1 }, '600000');
    const { bus, started } = consumer(queue);
    try {
      await started;
      expect(await depthOf(queue)).toBe(0);
      expect(await depthOf(legacyRetryQueueName(queue, 1))).toBe(1);
      // The move was skipped (the start-up step has finished); the consumer's own set-up declares the current queues.
      await vi.waitFor(async () => expect(await depthOf(retryQueueName(queue, 1))).toBe(0), { timeout: 20_000 });
    } finally {
      await bus.close();
      await old.close();
    }
  });
});
