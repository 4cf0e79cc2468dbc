import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadLetterQueueName, EventBus, type EventEnvelope, inspectDeadLetters, orderCreated } from '@shop/events';
import { type PrivateBroker, startPrivateBroker, waitForConsumers } from '@shop/events/testing';
import { OutboxRelay, outboxPlugin, type PendingEvent, pendingEventsProp } from '@shop/platform/mongo';
import { connectTestMongo, eventually, silentLogger } from '@shop/platform/testing';
import { getModelForClass, modelOptions, plugin, prop } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContactDirectory } from '../contact/contact.test-directory.js';
import { LogSmsProvider } from '../delivery/sms.provider.js';
import { startTestSmtpServer, type TestSmtpServer } from '../delivery/smtp.test-server.js';
import { subscribeToDeletedAccounts, subscribeToEvents } from '../events.js';
import { NotificationModel } from '../notification/notification.model.js';
import { NotificationService } from '../notification/notification.service.js';
import { type Pipeline, startPipeline } from '../notifications.test-pipeline.js';

/**
 * Fault tests on a RabbitMQ node of their own (stopped and started here, so nobody else is hurt):
 * the broker goes away in the middle of a stream of orders, a consumer dies between its effect
 * and its ack, a poison message arrives. Every order must be notified exactly once.
 */

/** A producer like orders: each order is stored with its order.created in its outbox. */
@plugin(outboxPlugin)
@modelOptions({ schemaOptions: { collection: 'fault_orders' } })
class FaultOrderRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop(pendingEventsProp)
  pendingEvents!: PendingEvent[];
}
const FaultOrderModel = getModelForClass(FaultOrderRecord);

const ORDERS = 40;
const OUTAGE_MS = 8_000;
const retry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
const queues = { events: 'faults.events', email: 'faults.email', sms: 'faults.sms' };
const contacts = new TestContactDirectory()
  .add('u-stream', { email: 'stream@example.com' })
  .add('u-kill', { email: 'kill@example.com' })
  .fail('u-poison');

let broker: PrivateBroker;
let db: { drop: () => Promise<void> };
let smtp: TestSmtpServer;
let pipeline: Pipeline;
let producer: { bus: EventBus; relay: OutboxRelay };
/** How often the replica dropped every address it kept: after each gap in hearing of deleted accounts. */
let keptDropped = 0;
/** When the deleted-accounts queue was last bound (UsersContactDirectory.hearing). */
const hearings: number[] = [];
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const mailsAbout = (orderId: string) =>
  smtp.received.filter((mail) => mail.subject === `Order confirmation ${orderId}`);

beforeAll(async () => {
  broker = await startPrivateBroker('faults');
  db = await connectTestMongo('faults');
  smtp = await startTestSmtpServer();
  const exchange = 'faults.events';
  const sms = new LogSmsProvider(silentLogger);
  pipeline = await startPipeline({ url: broker.url, exchange, queues, contacts, smtpUrl: smtp.url, sms, retry });
  await subscribeToDeletedAccounts(
    pipeline.bus,
    { markDeleted: () => {}, forgetKept: () => keptDropped++, hearing: () => hearings.push(Date.now()) },
    'faults.deleted',
  );
  const bus = new EventBus({ url: broker.url, exchange, log: silentLogger, connectionName: 'faults-producer' });
  producer = { bus, relay: new OutboxRelay([FaultOrderModel], bus, silentLogger, 100) };
  producer.relay.start();
}, 120_000);
afterAll(async () => {
  await producer?.relay.stop();
  await producer?.bus.close();
  await pipeline?.close();
  await smtp?.close();
  await db?.drop();
  await broker?.stop();
}, 60_000);

/**
 * The sentinel for "no more mail is coming": no message in any queue of the node, ready or
 * delivered and unacked (parked ones aside), and no event in any outbox, on three looks in a row
 * (an event moves from a queue to an outbox and back at most twice on its way to a mail).
 */
async function quiescent(): Promise<void> {
  let calmLooks = 0;
  await eventually(async () => {
    const queued = [...(await broker.queueDepths())].filter(([queue, n]) => !queue.endsWith('.dlq') && n > 0);
    const pending = await FaultOrderModel.countDocuments({ outboxPending: true });
    calmLooks = queued.length === 0 && pending === 0 ? calmLooks + 1 : 0;
    return calmLooks >= 3;
  }, 30_000);
}

async function placeOrder(orderId: string, userId: string): Promise<EventEnvelope> {
  const event = orderCreated.create({ orderId, userId, totalAmount: '10.00', items: [] });
  await FaultOrderModel.create({ _id: orderId, pendingEvents: [event] });
  producer.relay.kick();
  return event;
}

describe('events under faults (private RabbitMQ node)', () => {
  it('notifies every order exactly once when the broker stops and restarts mid-stream', async () => {
    expect(keptDropped).toBe(0);
    // Heard from its queue's first set-up on (which may follow the subscribe's return).
    await eventually(() => hearings.length === 1, 20_000, 'the deleted-accounts queue bound');
    const orderIds = Array.from({ length: ORDERS }, (_, i) => `stream-${i}`);
    let downFor = 0;
    for (const [i, orderId] of orderIds.entries()) {
      if (i === 10) {
        await broker.stopApp();
        downFor = Date.now();
      }
      if (i === 25) {
        // Longer than the publisher's confirm timeout, so that publishes fail rather than wait it out.
        await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downFor)));
        await broker.startApp();
        downFor = Date.now() - downFor;
      }
      await placeOrder(orderId, 'u-stream');
      await sleep(50);
    }
    await eventually(() => orderIds.every((id) => mailsAbout(id).length > 0), 60_000);
    // Late duplicates would still be on their way somewhere: wait until nothing is.
    await quiescent();

    const perOrder = orderIds.map((id) => mailsAbout(id).length);
    const records = await NotificationModel.find({ orderId: { $in: orderIds } }).lean();
    const stuck = await FaultOrderModel.countDocuments({ outboxPending: true });
    const lookups = contacts.lookups.get('u-stream') ?? 0;
    console.info(
      `[faults] broker down ${downFor} ms during a stream of ${ORDERS} orders: ` +
        `emails received ${perOrder.reduce((a, b) => a + b, 0)}, orders with 0 / 1 / >1 emails: ` +
        `${perOrder.filter((n) => n === 0).length} / ${perOrder.filter((n) => n === 1).length} / ` +
        `${perOrder.filter((n) => n > 1).length}; notification records ${records.length}; ` +
        `decider runs ${lookups} (${lookups - ORDERS} duplicate deliveries absorbed); outbox left ${stuck}`,
    );
    expect(perOrder).toEqual(orderIds.map(() => 1));
    expect(records).toHaveLength(ORDERS);
    expect(records.every((record) => record.status === 'SENT')).toBe(true);
    expect(stuck).toBe(0);
    // A user.deleted published during the outage reached no replica's own queue (it died with the
    // connection): the addresses kept meanwhile are dropped, and a send decided before the queue
    // was bound again asks the account's own mark (DeliveryService).
    expect(keptDropped).toBeGreaterThan(0);
    expect(hearings.length).toBeGreaterThan(1);
  }, 120_000);

  it('applies the effect once when a consumer dies between its effect and its ack', async () => {
    // Its own exchange, so that only the crashing process and then its successor see the order.
    const exchange = 'faults.kill';
    const queue = 'faults.kill.events';
    const bus = new EventBus({ url: broker.url, exchange, log: silentLogger, connectionName: 'faults-kill' });
    // The send requests the email sender settles (the first test left nothing on its way).
    const sendRequests: string[] = [];
    const stopCounting = pipeline.bus.onSettled((delivery) => {
      if (delivery.queue === queues.email && delivery.eventId) sendRequests.push(delivery.eventId);
    });
    let child: ChildProcess | undefined;
    try {
      const fixture = resolve(fileURLToPath(new URL('.', import.meta.url)), 'crashing-consumer.fixture.ts');
      child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', fixture], {
        cwd: resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..'),
        env: {
          ...process.env,
          AMQP_URL: broker.url,
          AMQP_EXCHANGE: exchange,
          SEND_EXCHANGE: 'faults.events',
          QUEUE: queue,
          MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
          MONGO_DB: mongoose.connection.name,
          CONTACT: 'u-kill=kill@example.com',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((done) => child?.once('exit', (_code, signal) => done(signal)));
      await new Promise<void>((ready, fail) => {
        child?.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready());
        child?.once('exit', () => fail(new Error('the crashing consumer exited before it was ready')));
      });
      await waitForConsumers(broker.url, [queue]);

      const event = orderCreated.create({ orderId: 'kill-1', userId: 'u-kill', totalAmount: '10.00', items: [] });
      expect((await bus.publish(event)).routed).toBe(true);
      expect(await exited).toBe('SIGKILL');
      // It died after its send request was out, before its ack: the sender delivers that request.
      await eventually(() => mailsAbout('kill-1').length > 0, 30_000);
      await quiescent();
      expect(sendRequests).toHaveLength(1);

      // Its successor gets the message again, decides again and sends the same request again.
      await subscribeToEvents(bus, new NotificationService(contacts, pipeline.relay), queue);
      await eventually(() => sendRequests.length > 1, 30_000);
      await quiescent();
      expect(new Set(sendRequests).size).toBe(1);
      const redeliveries = contacts.lookups.get('u-kill') ?? 0;
      console.info(
        `[faults] consumer killed after its effect: redelivered and re-run ${redeliveries} time(s) by its successor, ` +
          `notification records ${await NotificationModel.countDocuments({ eventId: event.id })}, ` +
          `emails received ${mailsAbout('kill-1').length}`,
      );
      expect(redeliveries).toBe(1);
      expect(sendRequests).toHaveLength(2);
      expect(await NotificationModel.countDocuments({ eventId: event.id })).toBe(1);
      expect(mailsAbout('kill-1')).toHaveLength(1);
    } finally {
      stopCounting();
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await bus.close();
    }
  }, 60_000);

  it(`parks a poison message after ${retry.maxAttempts} tries, and an invalid one at once`, async () => {
    const poison = await placeOrder('poison-1', 'u-poison');
    const invalid = { ...orderCreated.create({ orderId: 'x', userId: 'x', totalAmount: '1.00', items: [] }) };
    (invalid.data as { totalAmount: unknown }).totalAmount = 1;
    await producer.bus.publish(invalid);
    const parked = await eventually(async () => {
      const messages = await inspectDeadLetters(broker.url, deadLetterQueueName(queues.events));
      return messages.length >= 2 ? messages : undefined;
    }, 30_000);
    console.info(
      `[faults] dead-letter queue ${deadLetterQueueName(queues.events)}: ${parked
        .map((message) => `${message.type} ${message.reason} after ${message.attempts} tries`)
        .join('; ')}; poison handler runs ${contacts.lookups.get('u-poison')}`,
    );
    expect(parked.map(({ messageId, reason, attempts }) => ({ messageId, reason, attempts }))).toEqual(
      expect.arrayContaining([
        { messageId: poison.id, reason: 'handler-failed', attempts: retry.maxAttempts },
        { messageId: invalid.id, reason: 'invalid', attempts: 0 },
      ]),
    );
    expect(parked).toHaveLength(2);
    expect(contacts.lookups.get('u-poison')).toBe(retry.maxAttempts);
    expect(mailsAbout('poison-1')).toEqual([]);
  }, 60_000);
});
