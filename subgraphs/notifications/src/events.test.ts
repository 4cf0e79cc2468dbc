import { randomUUID } from 'node:crypto';
import {
  deadLetterQueueName,
  EventBus,
  type EventEnvelope,
  HEADERS,
  inspectDeadLetters,
  orderCreated,
  orderUpdated,
  paymentFailed,
  paymentSucceeded,
  replayDeadLetters,
  userDeleted,
  withChannel,
} from '@shop/events';
import { createLogger } from '@shop/platform/core';
import { TEST_AMQP_URL as AMQP_URL, connectTestMongo, eventually, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestContactDirectory } from './contact/contact.test-directory.js';
import { LogSmsProvider } from './delivery/sms.provider.js';
import { startTestSmtpServer, type TestSmtpServer } from './delivery/smtp.test-server.js';
import { subscribeToDeletedAccounts } from './events.js';
import { NotificationModel } from './notification/notification.model.js';
import { deleteTopology, type Pipeline, startPipeline } from './notifications.test-pipeline.js';

// Names of this run only, so parallel runs and the real `notifications.*` queues never meet.
const run = randomUUID().slice(0, 8);
const exchange = `test.notifications.${run}`;
const queues = {
  events: `test.notifications.${run}.events`,
  email: `test.notifications.${run}.email`,
  sms: `test.notifications.${run}.sms`,
};
const retry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
const contacts = new TestContactDirectory()
  .add('u-ada', { email: 'ada@example.com' })
  .add('u-grace', { email: 'grace@example.com', phone: '+14155550100' })
  .add('u-leaving', { email: 'leaving@example.com', phone: '+14155550199' });
// The development SMS provider logs each message: its log is what the "phone" received.
const texts: { to: string; body: string; reference: string }[] = [];
const smsLog = createLogger(
  'notifications',
  { LOG_LEVEL: 'info' },
  {
    write: (line: string) => {
      const { msg, to, body, reference } = JSON.parse(line);
      if (msg === 'sms (development provider)') texts.push({ to, body, reference });
    },
  },
);

let db: { drop: () => Promise<void> };
let smtp: TestSmtpServer;
let pipeline: Pipeline;

beforeAll(async () => {
  db = await connectTestMongo('notifications');
  smtp = await startTestSmtpServer();
  const sms = new LogSmsProvider(smsLog);
  pipeline = await startPipeline({ url: AMQP_URL, exchange, queues, contacts, smtpUrl: smtp.url, sms, retry });
});
afterAll(async () => {
  await pipeline.close();
  await deleteTopology(AMQP_URL, exchange, Object.values(queues), retry.maxAttempts - 1);
  await smtp.close();
  await db.drop();
});

const created = (userId: string, orderId: string) =>
  orderCreated.create({ orderId, userId, totalAmount: '42.00', items: [] });
const mailsAbout = (orderId: string) => smtp.received.filter((mail) => mail.subject.endsWith(` ${orderId}`));
const paid = (userId: string, orderId: string) =>
  paymentSucceeded.create({ orderId, userId, paymentId: 'pay', amount: '19.99', transactionId: 'tx' });
const sent = (id: string) =>
  eventually(() =>
    NotificationModel.findById(id)
      .lean()
      .then((record) => (record?.status === 'SENT' ? record : undefined)),
  );

describe('notifications on RabbitMQ', () => {
  it('turns order.created into an email received over SMTP, through its send request and the email sender', async () => {
    const event = created('u-ada', 'o-amqp');
    await pipeline.bus.publish(event);
    await eventually(() => mailsAbout('o-amqp').length > 0);
    const stored = await eventually(() =>
      NotificationModel.findById(`${event.id}:order-confirmation`)
        .lean()
        .then((record) => (record?.status === 'SENT' ? record : undefined)),
    );
    expect(stored).toMatchObject({ status: 'SENT', to: 'ada@example.com', attempts: 1 });
    expect(mailsAbout('o-amqp')).toEqual([expect.objectContaining({ to: 'ada@example.com' })]);
  });

  it('texts the payment receipt and the shipped notice to a phone through the SMS provider, recorded SENT', async () => {
    const receipt = paid('u-grace', 'o-sms');
    const shipped = orderUpdated.create({
      orderId: 'o-sms',
      userId: 'u-grace',
      previousStatus: 'PAID',
      status: 'SHIPPED',
      paymentStatus: 'SUCCEEDED',
    });
    await pipeline.bus.publish(receipt);
    await pipeline.bus.publish(shipped);
    const receiptSms = await sent(`${receipt.id}:payment-receipt-sms`);
    const shippedSms = await sent(`${shipped.id}:order-shipped`);
    for (const record of [receiptSms, shippedSms]) {
      expect(record).toMatchObject({ channel: 'SMS', to: '+14155550100', attempts: 1 });
      expect(record.providerMessageId).toBe(`log-${record._id}`);
    }
    // Each message reached the provider exactly once, to the user's phone.
    const byReference = (a: { reference: string }, b: { reference: string }) => a.reference.localeCompare(b.reference);
    expect(texts.filter((text) => text.body.includes('o-sms')).sort(byReference)).toEqual(
      [receiptSms, shippedSms]
        .map((record) => ({ to: '+14155550100', body: record.body, reference: record._id }))
        .sort(byReference),
    );
    await eventually(() => mailsAbout('o-sms').length > 0);
  });

  it('records the SMS of a user without a phone as SKIPPED and sends nothing, while the email goes out', async () => {
    const receipt = paid('u-ada', 'o-nophone');
    await pipeline.bus.publish(receipt);
    await eventually(() => mailsAbout('o-nophone').length > 0);
    expect(await sent(`${receipt.id}:payment-receipt`)).toMatchObject({ channel: 'EMAIL', to: 'ada@example.com' });
    expect(await NotificationModel.findById(`${receipt.id}:payment-receipt-sms`).lean()).toMatchObject({
      channel: 'SMS',
      status: 'SKIPPED',
      lastError: 'no address on file for this channel',
    });
    expect(texts.filter((text) => text.body.includes('o-nophone'))).toEqual([]);
  });

  it("forgets a deleted account's notifications on user.deleted, and nobody else's", async () => {
    const theirs = paid('u-leaving', 'o-forgotten');
    const kept = created('u-ada', 'o-kept');
    await pipeline.bus.publish(theirs);
    await pipeline.bus.publish(kept);
    await sent(`${theirs.id}:payment-receipt`);
    await sent(`${theirs.id}:payment-receipt-sms`);
    await sent(`${kept.id}:order-confirmation`);
    // Twice: a redelivered deletion finds nothing more to do.
    await pipeline.bus.publish(userDeleted.create({ userId: 'u-leaving' }));
    await pipeline.bus.publish(userDeleted.create({ userId: 'u-leaving' }));
    await eventually(async () => (await NotificationModel.countDocuments({ userId: 'u-leaving' })) === 0);
    expect(await NotificationModel.findById(`${kept.id}:order-confirmation`).lean()).toMatchObject({ status: 'SENT' });
  });

  it('tells every replica of a deleted account, each on a queue of its own, so none uses the addresses it kept', async () => {
    const replicas = ['a', 'b'].map((name) => ({
      bus: new EventBus({
        url: AMQP_URL,
        exchange,
        log: silentLogger,
        connectionName: `notifications-test-${name}`,
        retry,
      }),
      heard: [] as string[],
      name,
    }));
    try {
      for (const replica of replicas) {
        await subscribeToDeletedAccounts(
          replica.bus,
          { markDeleted: (userId) => replica.heard.push(userId), forgetKept: () => {}, hearing: () => {} },
          // The same name on both, as in production: the bus gives each its own queue.
          `test.notifications.${run}.deleted-accounts`,
        );
      }
      // Their queues are bound once a deletion published now reaches both.
      await vi.waitFor(
        async () => {
          await pipeline.bus.publish(userDeleted.create({ userId: 'u-probe' }));
          for (const { heard } of replicas) expect(heard).toContain('u-probe');
        },
        { timeout: 10_000, interval: 200 },
      );
      await pipeline.bus.publish(userDeleted.create({ userId: 'u-gone' }));
      await vi.waitFor(() => {
        for (const { heard } of replicas) expect(heard.filter((userId) => userId === 'u-gone')).toEqual(['u-gone']);
      });
    } finally {
      for (const { bus } of replicas) await bus.close();
    }
  });

  it('retries a failing handler with back-off and succeeds on a later try', async () => {
    contacts.add('u-flaky', { email: 'flaky@example.com' }).fail('u-flaky', 2);
    const started = Date.now();
    await pipeline.bus.publish(
      paymentFailed.create({
        orderId: 'o-flaky',
        userId: 'u-flaky',
        paymentId: 'p',
        amount: '1.00',
        failureReason: 'x',
      }),
    );
    await eventually(() => mailsAbout('o-flaky').length > 0);
    expect(contacts.lookups.get('u-flaky')).toBe(3);
    // Two waits of the ladder: 100 ms, then 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(mailsAbout('o-flaky')).toHaveLength(1);
  });

  it('parks a message after its last try with the error and attempts, and replays it once fixed', async () => {
    contacts.fail('u-poison');
    const event = created('u-poison', 'o-poison');
    await pipeline.bus.publish(event);
    const dlq = deadLetterQueueName(queues.events);
    const [parked] = await eventually(async () => {
      const messages = await inspectDeadLetters(AMQP_URL, dlq);
      return messages.some((message) => message.messageId === event.id) ? messages : undefined;
    });
    expect(parked).toMatchObject({
      messageId: event.id,
      type: 'order.created',
      reason: 'handler-failed',
      attempts: 3,
      error: 'users subgraph unavailable for u-poison',
    });
    expect(contacts.lookups.get('u-poison')).toBe(retry.maxAttempts);
    expect(mailsAbout('o-poison')).toEqual([]);

    contacts.fail('u-poison', 0).add('u-poison', { email: 'poison@example.com' });
    expect(await replayDeadLetters(AMQP_URL, queues.events)).toEqual([event.id]);
    await eventually(() => mailsAbout('o-poison').length > 0);
    expect(await inspectDeadLetters(AMQP_URL, dlq)).toEqual([]);
  });

  it('parks a message that does not match its event schema at once, untried', async () => {
    const valid = created('u-ada', 'o-bad');
    const invalid = { ...valid, data: { orderId: 'o-bad', totalAmount: 1 } } as EventEnvelope;
    await pipeline.bus.publish(invalid);
    const dead = await withChannel(AMQP_URL, (channel) =>
      eventually(() => channel.get(deadLetterQueueName(queues.events), { noAck: true })),
    );
    expect(JSON.parse(dead.content.toString('utf8'))).toMatchObject({ id: valid.id, type: 'order.created' });
    expect(dead.properties.headers).toMatchObject({ [HEADERS.reason]: 'invalid', [HEADERS.attempts]: 0 });
    expect(await NotificationModel.countDocuments({ eventId: valid.id })).toBe(0);
  });
});
