import { Writable } from 'node:stream';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { withChannel } from './broker-channel.js';
import { EventBus } from './event-bus.js';
import { DEAD_LETTER_REASONS } from './event-metrics.js';
import { orderCreated } from './order-created.event.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { TEST_AMQP_URL as AMQP_URL } from './test-broker.js';
import { deleteConsumerTopology, retryQueueName, workQueueName } from './topology.js';

/** A logger whose lines the test can read. */
function recordingLogger() {
  const lines: { msg: string; err?: { message: string } }[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, destination), lines };
}

/** A bus on `exchange`, which it only checks (AMQP_EXCHANGE_PROVISIONED): the test makes and removes it. */
const provisionedBus = (exchange: string, log: pino.Logger) =>
  new EventBus({ url: AMQP_URL, exchange, exchangeProvisioned: true, log, connectionName: 'event-bus-test' });

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
afterEach(() => {
  unhandled.length = 0;
});

describe('EventBus publisher channel', () => {
  it('reports a failed channel set-up as a logged error, never as an unhandled rejection', async () => {
    // An exchange of another type under the bus's name: the publisher's declaration is refused (406).
    const exchange = `event-bus-test.fanout.${Date.now().toString(36)}`;
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: false });
    const { log, lines } = recordingLogger();
    const bus = new EventBus({ url: AMQP_URL, exchange, log, connectionName: 'event-bus-test' });
    try {
      await vi.waitFor(() => expect(lines.map((line) => line.msg)).toContain('publisher channel failed'), {
        timeout: 10_000,
      });
      // The sentinel above is logged inside the set-up's failure path; an unhandled rejection from
      // the same path would be reported once the microtasks after it have run.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(lines.find((line) => line.msg === 'publisher channel failed')?.err?.message).toMatch(/PRECONDITION/);
    } finally {
      await bus.close();
      await channel.deleteExchange(exchange);
      await connection.close();
    }
  });

  it('only checks a provisioned exchange: a missing one is reported, never declared, and the bus is not ready until it exists', async () => {
    const exchange = `event-bus-test.provisioned.${Date.now().toString(36)}`;
    const { log, lines } = recordingLogger();
    const bus = provisionedBus(exchange, log);
    const connection = await amqplib.connect(AMQP_URL);
    try {
      await vi.waitFor(() => expect(lines.map((line) => line.msg)).toContain('publisher channel failed'), {
        timeout: 10_000,
      });
      expect(lines.find((line) => line.msg === 'publisher channel failed')?.err?.message).toMatch(/NOT_FOUND/);
      const probe = await connection.createChannel();
      probe.on('error', () => {});
      await expect(probe.checkExchange(exchange)).rejects.toThrow(/NOT_FOUND/);
      expect(bus.isConnected()).toBe(true);
      expect(bus.readiness.check).toThrow('channel not set up: publisher');

      // The operator provisions the exchange: the bus sets its channel up again without a restart.
      const channel = await connection.createChannel();
      await channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: true });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, orderCreated.type);
      const event = orderCreated.create({ orderId: 'o-late', userId: 'u1', totalAmount: '1.00', items: [] });
      await vi.waitFor(async () => expect(await bus.publish(event)).toEqual({ routed: true }), { timeout: 15_000 });
      expect(bus.readiness.check).not.toThrow();
      const delivered = await vi.waitFor(
        async () => {
          const message = await channel.get(queue, { noAck: true });
          if (!message) throw new Error('not delivered yet');
          return message;
        },
        { timeout: 5_000 },
      );
      expect(delivered.properties.messageId).toBe(event.id);
    } finally {
      await bus.close();
      await connection.close();
    }
  });

  it('answers a publish on a closed bus with a rejection the caller can handle', async () => {
    const { log } = recordingLogger();
    const bus = new EventBus({ url: AMQP_URL, exchange: 'event-bus-test', log, connectionName: 'event-bus-test' });
    await bus.close();
    const event = orderCreated.create({ orderId: 'o1', userId: 'u1', totalAmount: '1.00', items: [] });
    await expect(bus.publish(event)).rejects.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});

describe('EventBus channels the broker closed', () => {
  const ready = (bus: EventBus) => () => expect(bus.readiness.check).not.toThrow();
  /** Publishes an event until it is routed, and expects it the only one the bus's consumer handled. */
  const expectConsumedAgain = async (bus: EventBus, handled: string[], orderId: string) => {
    const event = orderCreated.create({ orderId, userId: 'u1', totalAmount: '1.00', items: [] });
    await vi.waitFor(async () => expect(await bus.publish(event)).toEqual({ routed: true }), { timeout: 10_000 });
    await vi.waitFor(() => expect(handled).toEqual([event.id]), { timeout: 10_000 });
  };
  /** A queue's consumer count, on a channel of its own: checking a missing queue closes the channel. */
  const consumersOf = (queue: string) =>
    withChannel(AMQP_URL, async (channel) => (await channel.checkQueue(queue)).consumerCount);

  it('sets its channels up again once a cause that outlasts the reconnect it forced is gone', async () => {
    const exchange = `event-bus-test.lasting.${Date.now().toString(36)}`;
    const { log, lines } = recordingLogger();
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
    const bus = provisionedBus(exchange, log);
    const handled: string[] = [];
    try {
      await bus.subscribe({
        queue: `event-bus-test.lasting-consumer.${Date.now().toString(36)}`,
        exclusive: true,
        events: [orderCreated],
        handler: async (event) => {
          handled.push(event.id);
        },
      });
      await vi.waitFor(ready(bus), { timeout: 10_000 });
      // The exchange goes: a publish to it closes the publisher's channel on the live connection. The
      // reconnect that forces closes the consumer's channel too, and on the new connection both fail
      // to set up again while the exchange is missing.
      await channel.deleteExchange(exchange);
      const lost = orderCreated.create({ orderId: 'o-lost', userId: 'u1', totalAmount: '1.00', items: [] });
      await bus.publish(lost).catch(() => undefined);
      const failedAfterReconnect = () => {
        const reconnect = lines.findIndex((line) => line.msg === 'reconnecting to set channels up again');
        return reconnect >= 0 && lines.slice(reconnect).some((line) => line.msg === 'publisher channel failed');
      };
      await vi.waitFor(() => expect(failedAfterReconnect()).toBe(true), { timeout: 15_000 });

      // The operator puts the exchange back: the bus keeps trying, so it is ready again without a restart.
      await channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
      await vi.waitFor(ready(bus), { timeout: 20_000 });
      await expectConsumedAgain(bus, handled, 'o-back');
    } finally {
      await bus.close();
      await channel.deleteExchange(exchange);
      await connection.close();
    }
  });

  it('consumes again after its queue was deleted under it', async () => {
    const exchange = `event-bus-test.deleted.${Date.now().toString(36)}`;
    const consumer = `event-bus-test.deleted-consumer.${Date.now().toString(36)}`;
    const { log, lines } = recordingLogger();
    const bus = new EventBus({ url: AMQP_URL, exchange, log, connectionName: 'event-bus-test' });
    const handled: string[] = [];
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    try {
      await bus.subscribe({
        queue: consumer,
        events: [orderCreated],
        handler: async (event) => {
          handled.push(event.id);
        },
      });
      const workQueue = workQueueName(consumer);
      await vi.waitFor(async () => expect(await consumersOf(workQueue)).toBe(1), { timeout: 10_000 });
      const connects = () => lines.filter((line) => line.msg === 'rabbitmq connected').length;
      const before = connects();
      // The broker cancels the consumer; consuming again from the missing queue closes its channel.
      await channel.deleteQueue(workQueue);
      await vi.waitFor(() => expect(connects()).toBeGreaterThan(before), { timeout: 10_000 });
      await vi.waitFor(ready(bus), { timeout: 10_000 });
      await expectConsumedAgain(bus, handled, 'o-deleted');
    } finally {
      await bus.close();
      await deleteConsumerTopology(channel, consumer, DEFAULT_RETRY_POLICY.maxAttempts - 1);
      await channel.deleteExchange(exchange);
      await connection.close();
    }
  });
});

describe('EventBus retries', () => {
  it('requeues a failed message whose retry copy finds no queue with basic.reject, which RabbitMQ 4.3+ counts toward the delivery limit', async () => {
    const exchange = `event-bus-test.unmoved.${Date.now().toString(36)}`;
    const consumer = `event-bus-test.unmoved-consumer.${Date.now().toString(36)}`;
    const { log, lines } = recordingLogger();
    const bus = new EventBus({ url: AMQP_URL, exchange, log, connectionName: 'event-bus-test' });
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    // Every channel amqp-connection-manager opens is one of amqplib's, as this one is.
    const channels = Object.getPrototypeOf(channel) as amqplib.Channel;
    const reject = vi.spyOn(channels, 'reject');
    const nack = vi.spyOn(channels, 'nack');
    const attempts: string[] = [];
    try {
      await bus.subscribe({
        queue: consumer,
        events: [orderCreated],
        handler: async (event) => {
          attempts.push(event.id);
          if (attempts.length === 1) throw new Error('first attempt fails');
        },
      });
      const consumers = () =>
        withChannel(AMQP_URL, async (check) => (await check.checkQueue(workQueueName(consumer))).consumerCount);
      await vi.waitFor(async () => expect(await consumers()).toBe(1), { timeout: 10_000 });
      // An operator deleted the first retry queue: the failed message's copy is unroutable.
      await channel.deleteQueue(retryQueueName(consumer, 1));
      const event = orderCreated.create({ orderId: 'o-unmoved', userId: 'u1', totalAmount: '1.00', items: [] });
      expect(await bus.publish(event)).toEqual({ routed: true });
      await vi.waitFor(() => expect(attempts).toEqual([event.id, event.id]), { timeout: 10_000 });
      expect(lines.map((line) => line.msg)).toContain('could not move a failed message; requeued');
      expect(reject).toHaveBeenCalledWith(expect.objectContaining({ content: expect.any(Buffer) }), true);
      expect(nack).not.toHaveBeenCalled();
    } finally {
      reject.mockRestore();
      nack.mockRestore();
      await bus.close();
      await deleteConsumerTopology(channel, consumer, DEFAULT_RETRY_POLICY.maxAttempts - 1);
      await channel.deleteExchange(exchange);
      await connection.close();
    }
  });
});

describe('EventBus consumer metrics', () => {
  it("serves each dead-letter reason of a consumer's queue from 0, so the first parked message is an increase", async () => {
    const exchange = `event-bus-test.metrics.${Date.now().toString(36)}`;
    const consumer = `event-bus-test.metrics-consumer.${Date.now().toString(36)}`;
    const bus = new EventBus({ url: AMQP_URL, exchange, log: recordingLogger().log, connectionName: 'event-bus-test' });
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    try {
      await bus.subscribe({ queue: consumer, events: [orderCreated], handler: async () => {} });
      const scrape = await register.metrics();
      for (const reason of DEAD_LETTER_REASONS) {
        const series = `events_dead_lettered_total{queue="${consumer}",reason="${reason}"} 0`;
        expect(scrape.split('\n'), reason).toContain(series);
      }
    } finally {
      await bus.close();
      await deleteConsumerTopology(channel, consumer, DEFAULT_RETRY_POLICY.maxAttempts - 1);
      await channel.deleteExchange(exchange);
      await connection.close();
    }
  });
});
