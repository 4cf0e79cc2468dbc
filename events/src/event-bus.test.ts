import { Writable } from 'node:stream';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventBus } from './event-bus.js';
import { orderCreated } from './order-created.event.js';
import { TEST_AMQP_URL as AMQP_URL } from './test-broker.js';

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

  it('only checks a provisioned exchange: a missing one is reported, never declared', async () => {
    const exchange = `event-bus-test.provisioned.${Date.now().toString(36)}`;
    const { log, lines } = recordingLogger();
    const bus = new EventBus({
      url: AMQP_URL,
      exchange,
      exchangeProvisioned: true,
      log,
      connectionName: 'event-bus-test',
    });
    const connection = await amqplib.connect(AMQP_URL);
    try {
      await vi.waitFor(() => expect(lines.map((line) => line.msg)).toContain('publisher channel failed'), {
        timeout: 10_000,
      });
      expect(lines.find((line) => line.msg === 'publisher channel failed')?.err?.message).toMatch(/NOT_FOUND/);
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await expect(channel.checkExchange(exchange)).rejects.toThrow(/NOT_FOUND/);
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
