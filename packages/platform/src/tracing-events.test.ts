import { randomUUID } from 'node:crypto';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { deleteConsumerTopology, EventBus, type EventEnvelope, orderCreated, replayDeadLetters } from '@shop/events';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';
import { OutboxRelay } from './outbox.js';
import { testAggregateModel } from './outbox.test-aggregate.js';
import { TEST_AMQP_URL as AMQP_URL, connectTestMongo, publishSettled, silentLogger } from './testing.js';
import { startTracing, stopTracing } from './tracing.js';

/** Trace context across RabbitMQ: message headers, the retry ladder, the outbox. Real broker and database. */
const run = randomUUID().slice(0, 8);
const exchange = `test.tracing.${run}`;
const queue = `test.tracing.${run}.consumer`;
const retry = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 };

const AggregateModel = testAggregateModel('tracing_aggregates');

const spans = new InMemorySpanExporter();
const tracer = trace.getTracer('tracing-events-test');
let db: { drop: () => Promise<void> };
let bus: EventBus;
/** Per order id: how many more runs of the handler fail. Then what the handler saw. */
const failuresWanted = new Map<string, number>();
const handled: EventEnvelope[] = [];

const orderIdOf = (event: EventEnvelope) => (event.data as { orderId: string }).orderId;
const created = (orderId: string) => orderCreated.create({ orderId, userId: 'u', totalAmount: '1.00', items: [] });
const finished = (name: string, messageId: string) =>
  spans
    .getFinishedSpans()
    .filter((span) => span.name === name && span.attributes['messaging.message.id'] === messageId);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
/** Spans end just after the handler returns: waits for `count` of them. */
const eventuallyFinished = (name: string, messageId: string, count: number) =>
  eventually(() => {
    const found = finished(name, messageId);
    return found.length === count && found;
  });

beforeAll(async () => {
  await startTracing('tracing-events-test', { exporter: spans });
  db = await connectTestMongo('tracing');
  bus = new EventBus({ url: AMQP_URL, exchange, log: silentLogger, connectionName: 'tracing-test', retry });
  await bus.subscribe({
    queue,
    events: [orderCreated],
    handler: async (event) => {
      const left = failuresWanted.get(orderIdOf(event)) ?? 0;
      if (left > 0) {
        failuresWanted.set(orderIdOf(event), left - 1);
        throw new Error('not yet');
      }
      handled.push(event);
    },
  });
  await publishSettled(bus, queue, created('probe'));
});
afterAll(async () => {
  await bus.close();
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await deleteConsumerTopology(channel, queue, retry.maxAttempts - 1);
  await channel.deleteExchange(exchange);
  await connection.close();
  await db.drop();
  await stopTracing();
});

describe('trace context over RabbitMQ', () => {
  it('keeps the publish’s trace through the retry ladder: every delivery is a child of the one publish', async () => {
    const event = created(`retried-${run}`);
    failuresWanted.set(orderIdOf(event), 1);
    const request = await tracer.startActiveSpan('request', async (span) => {
      await bus.publish(event);
      span.end();
      return span.spanContext();
    });
    const deliveries = await eventuallyFinished(`process ${event.type}`, event.id, 2);
    const [publish] = finished(`publish ${event.type}`, event.id);
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    expect(publish?.spanContext().traceId).toBe(request.traceId);
    expect(parentOf(publish as ReadableSpan)).toBe(request.spanId);
    expect(deliveries.map((span) => span.attributes['shop.event.attempt'])).toEqual([1, 2]);
    for (const delivery of deliveries) {
      expect(delivery.kind).toBe(SpanKind.CONSUMER);
      expect(delivery.spanContext().traceId).toBe(request.traceId);
      expect(parentOf(delivery)).toBe(publish?.spanContext().spanId);
    }
    expect(deliveries[0]?.status.code).toBe(2); // ERROR: the first run failed
    // The envelope the handler saw is the contract's: the trace context travelled in headers only.
    expect(handled.find((seen) => seen.id === event.id)).not.toHaveProperty('traceContext');
  });

  it('stores the trace context with a pending event, so the relay’s later publish continues the recording trace', async () => {
    const id = `aggregate-${run}`;
    const recording = await tracer.startActiveSpan('record', async (span) => {
      const event = created(id);
      await AggregateModel.create({ _id: id, pendingEvents: [event] });
      span.end();
      return { event, ids: span.spanContext() };
    });
    const stored = await AggregateModel.findById(id).lean();
    expect(stored?.pendingEvents[0]?.traceContext?.traceparent).toContain(recording.ids.traceId);

    // Published from the relay's own timer, outside any request.
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 50);
    relay.start();
    try {
      await eventuallyFinished(`process ${recording.event.type}`, recording.event.id, 1);
      await eventually(
        async () => (await AggregateModel.countDocuments({ _id: id, 'pendingEvents.0': { $exists: true } })) === 0,
      );
    } finally {
      await relay.stop();
    }
    const [publish] = finished(`publish ${recording.event.type}`, recording.event.id);
    const [delivery] = finished(`process ${recording.event.type}`, recording.event.id);
    expect(publish?.spanContext().traceId).toBe(recording.ids.traceId);
    expect(parentOf(publish as ReadableSpan)).toBe(recording.ids.spanId);
    expect(delivery?.spanContext().traceId).toBe(recording.ids.traceId);
    expect(parentOf(delivery as ReadableSpan)).toBe(publish?.spanContext().spanId);
  });

  it('keeps the trace when a dead letter is replayed', async () => {
    const event = created(`parked-${run}`);
    failuresWanted.set(orderIdOf(event), retry.maxAttempts);
    const request = await tracer.startActiveSpan('request', async (span) => {
      await bus.publish(event);
      span.end();
      return span.spanContext();
    });
    await eventuallyFinished(`process ${event.type}`, event.id, retry.maxAttempts);
    // Parked after the last try; replaying it is a fresh start of the same trace.
    expect(await eventually(async () => (await replayDeadLetters(AMQP_URL, queue, [event.id]))[0])).toBe(event.id);
    const deliveries = await eventuallyFinished(`process ${event.type}`, event.id, retry.maxAttempts + 1);
    expect(new Set(deliveries.map((span) => span.spanContext().traceId))).toEqual(new Set([request.traceId]));
    expect(handled.some((seen) => seen.id === event.id)).toBe(true);
  });
});
