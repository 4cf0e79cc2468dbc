// What an operator reads of a dead-letter queue (`pnpm events:dlq show`), and what a replay sends.
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspectDeadLetters, replayDeadLetters, WITHHELD_BODY } from './dead-letters.js';
import type { EventEnvelope } from './envelope.js';
import { EventBus } from './event-bus.js';
import { notificationEmail } from './notification-email.event.js';
import { TEST_AMQP_URL as AMQP_URL, waitForConsumers } from './test-broker.js';
import { deleteConsumerTopology } from './topology.js';

const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const exchange = `dead-letters.${run}.events`;
const queue = `dead-letters.${run}.sender`;
// One try: a failure parks the message at once.
const retry = { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 100 };

const resetLink = 'https://shop.example/reset-password?token=live-secret-token';
const email = (subject: string, confidential?: boolean) =>
  notificationEmail.create({
    userId: 'u1',
    to: 'ada@example.com',
    subject,
    body: `Reset your password: ${resetLink}`,
    ...(confidential === undefined ? {} : { confidential }),
  });

let admin: amqplib.ChannelModel;
let bus: EventBus;
let failing = true;
const delivered: EventEnvelope[] = [];

beforeAll(async () => {
  admin = await amqplib.connect(AMQP_URL);
  const channel = await admin.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.close();
  bus = new EventBus({ url: AMQP_URL, exchange, log: pino({ level: 'silent' }), connectionName: run, retry });
  await bus.subscribe({
    queue,
    events: [notificationEmail],
    handler: async (event) => {
      if (failing) throw new Error('SMTP server away');
      delivered.push(event);
    },
  });
  await waitForConsumers(AMQP_URL, [queue]);
});

afterAll(async () => {
  await bus.close();
  const channel = await admin.createChannel();
  await deleteConsumerTopology(channel, queue, 0);
  await channel.deleteExchange(exchange);
  await admin.close();
});

describe('dead-letter queues as an operator reads them', () => {
  it("withholds a confidential email's body, shows every other one, and a replay sends both as they were", async () => {
    const confidential = email('Reset your password', true);
    const plain = email('Your order', false);
    for (const event of [confidential, plain]) expect((await bus.publish(event)).routed).toBe(true);

    const parked = await vi.waitFor(
      async () => {
        const messages = await inspectDeadLetters(AMQP_URL, queue);
        expect(messages.map((message) => message.messageId).sort()).toEqual([confidential.id, plain.id].sort());
        return new Map(messages.map((message) => [message.messageId, message]));
      },
      { timeout: 20_000 },
    );
    const shown = parked.get(confidential.id);
    expect(shown?.body).not.toContain('live-secret-token');
    expect(JSON.parse(shown?.body ?? '')).toEqual({
      ...confidential,
      data: { ...confidential.data, body: WITHHELD_BODY },
    });
    expect(shown).toMatchObject({ reason: 'handler-failed', error: 'SMTP server away', attempts: 1 });
    expect(JSON.parse(parked.get(plain.id)?.body ?? '')).toEqual(plain);

    failing = false;
    expect((await replayDeadLetters(AMQP_URL, queue)).sort()).toEqual([confidential.id, plain.id].sort());
    await vi.waitFor(() => expect(delivered).toHaveLength(2), { timeout: 20_000 });
    expect(delivered.find((event) => event.id === confidential.id)?.data).toMatchObject({
      body: `Reset your password: ${resetLink}`,
    });
  });
});
