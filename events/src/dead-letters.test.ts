// What an operator reads of a dead-letter queue (the `dlq show` operator command), and what a replay sends.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspectDeadLetters, replayDeadLetters, WITHHELD_BODY } from './dead-letters.js';
import { type FailingConsumer, startFailingConsumer } from './failing-consumer.test-fixture.js';
import { notificationEmail } from './notification-email.event.js';
import { TEST_AMQP_URL as AMQP_URL } from './test-broker.js';

const resetLink = 'https://shop.example/reset-password?token=live-secret-token';
const email = (subject: string, confidential?: boolean) =>
  notificationEmail.create({
    userId: 'u1',
    to: 'ada@example.com',
    subject,
    body: `Reset your password: ${resetLink}`,
    ...(confidential === undefined ? {} : { confidential }),
  });

let consumer: FailingConsumer;

beforeAll(async () => {
  consumer = await startFailingConsumer(AMQP_URL, 'dead-letters');
});
afterAll(() => consumer.close());

describe('dead-letter queues as an operator reads them', () => {
  it("withholds a confidential email's body, shows every other one, and a replay sends both as they were", async () => {
    const confidential = email('Reset your password', true);
    const plain = email('Your order', false);
    for (const event of [confidential, plain]) expect((await consumer.bus.publish(event)).routed).toBe(true);

    const parked = await vi.waitFor(
      async () => {
        const messages = await inspectDeadLetters(AMQP_URL, consumer.queue);
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

    consumer.failing = false;
    expect((await replayDeadLetters(AMQP_URL, consumer.queue)).sort()).toEqual([confidential.id, plain.id].sort());
    await vi.waitFor(() => expect(consumer.delivered).toHaveLength(2), { timeout: 20_000 });
    expect(consumer.delivered.find((event) => event.id === confidential.id)?.data).toMatchObject({
      body: `Reset your password: ${resetLink}`,
    });
    // Each left the dead-letter queue once replayed (the last one's ack too, before the connection closed).
    expect(await inspectDeadLetters(AMQP_URL, consumer.queue)).toEqual([]);
  });

  it('replays each message parked when it starts once, and ends, while the consumer parks them again', async () => {
    consumer.failing = true;
    const events = Array.from({ length: 5 }, (_, i) => email(`Order ${i}`, false));
    for (const event of events) expect((await consumer.bus.publish(event)).routed).toBe(true);
    const ids = events.map((event) => event.id).sort();
    const parkedIds = async () => (await inspectDeadLetters(AMQP_URL, consumer.queue)).map((m) => m.messageId).sort();
    await vi.waitFor(async () => expect(await parkedIds()).toEqual(ids), { timeout: 20_000 });

    const parkings: string[] = [];
    const stopCounting = consumer.bus.onSettled((delivery) => {
      if (delivery.queue === consumer.queue && delivery.eventId) parkings.push(delivery.eventId);
    });
    try {
      expect((await replayDeadLetters(AMQP_URL, consumer.queue)).sort()).toEqual(ids);
      // The replay's copies were confirmed in the work queue before it returned: a sentinel sent now
      // is delivered after every one of them, so a second copy is handled by the time it is parked.
      const sentinel = email('Sentinel', false);
      expect((await consumer.bus.publish(sentinel)).routed).toBe(true);
      await vi.waitFor(() => expect(parkings).toEqual(expect.arrayContaining([...ids, sentinel.id])), {
        timeout: 20_000,
      });
      // Each went through the consumer once more, failed, and is parked again: once each.
      expect(parkings.filter((id) => id !== sentinel.id).sort()).toEqual(ids);
      expect(await parkedIds()).toEqual([...ids, sentinel.id].sort());
    } finally {
      stopCounting();
    }
  }, 60_000);
});
