// The per-service RabbitMQ users of docker compose (deploy/rabbitmq/service-users.sh, run here by
// the same script against the test broker): each may do what its service does, and no service may
// publish another's events — notifications cannot forge `payment.succeeded`, neither on the shared
// exchange nor straight into orders' queue through the default exchange.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspectDeadLetters, replayDeadLetters } from './dead-letters.js';
import type { EventEnvelope } from './envelope.js';
import { EventBus, type SettledDelivery } from './event-bus.js';
import { legacyRetryQueueName } from './legacy-queues.js';
import { declareV1Queues } from './legacy-queues.test-fixture.js';
import { notificationEmail } from './notification-email.event.js';
import { paymentSucceeded } from './payment-succeeded.event.js';
import { productChanged } from './product-changed.event.js';
import { RejectedEventError } from './rejected-event.error.js';
import { TEST_AMQP_URL as AMQP_URL } from './test-broker.js';
import {
  assertConsumerQueues,
  deleteConsumerTopology,
  HEADERS,
  movesExchangeName,
  ROUTES,
  retryQueueName,
  workQueueName,
} from './topology.js';
import { userDeleted } from './user-deleted.event.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../deploy/rabbitmq/service-users.sh');
const SERVICES = ['orders', 'payments', 'notifications', 'products', 'gateway', 'users'] as const;
type Service = (typeof SERVICES)[number];
const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const userPrefix = `perm-${run}-`;
const exchange = `perm.${run}.events`;
const vhost = decodeURIComponent(new URL(AMQP_URL).pathname.slice(1)) || '/';
const passwords = Object.fromEntries(SERVICES.map((service) => [service, randomBytes(18).toString('hex')]));
const silent = pino({ level: process.env.PERM_DEBUG ? 'warn' : 'silent' });

const urlOf = (service: Service) => {
  const url = new URL(AMQP_URL);
  url.username = `${userPrefix}${service}`;
  url.password = passwords[service] as string;
  return url.toString();
};
const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', ['-q', ...args]);

/** One confirmed publish as `service` (on the shared exchange by default): 'confirmed', or the broker's refusal. */
async function publishAs(service: Service, routingKey: string, to = exchange): Promise<string> {
  const connection = await amqplib.connect(urlOf(service));
  try {
    const channel = await connection.createConfirmChannel();
    const closed = new Promise<string>((done) => channel.on('error', (error: Error) => done(error.message)));
    const confirmed = new Promise<string>((done, fail) =>
      channel.publish(to, routingKey, Buffer.from('{}'), { persistent: true }, (error) =>
        error ? fail(error) : done('confirmed'),
      ),
    ).catch(() => closed);
    return await Promise.race([confirmed, closed]);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Declaring a queue named by another service (or binding to a key it does not consume), as `service`. */
async function attemptAs(service: Service, action: (channel: amqplib.Channel) => Promise<unknown>): Promise<string> {
  const connection = await amqplib.connect(urlOf(service));
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return await action(channel).then(
      () => 'allowed',
      (error: Error) => error.message,
    );
  } finally {
    await connection.close().catch(() => {});
  }
}

let admin: amqplib.ChannelModel;
const queues: string[] = [];
/** v1 consumers a test declared (legacy-queues.ts): left over only if their move failed. */
const legacyConsumers: string[] = [];
/** Consumers whose whole topology (queues and moves exchange) a test declared. */
const consumers: string[] = [];
const RETRY_STEPS = 1;

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RABBITMQ_VHOST: vhost,
    AMQP_EXCHANGE: exchange,
    RABBITMQ_USER_PREFIX: userPrefix,
  };
  for (const service of SERVICES) env[`RABBITMQ_${service.toUpperCase()}_PASSWORD`] = passwords[service];
  await promisify(execFile)('bash', [SCRIPT], { env });
  // The script declares the shared exchange itself (the services only check it).
  admin = await amqplib.connect(AMQP_URL);
}, 240_000);

afterAll(async () => {
  // Users first: they exist even when the set-up failed half-way.
  for (const service of SERVICES) await rabbitmqctl('delete_user', `${userPrefix}${service}`).catch(() => {});
  if (!admin) return;
  const channel = await admin.createChannel();
  for (const queue of queues) await channel.deleteQueue(queue);
  for (const consumer of consumers) await deleteConsumerTopology(channel, consumer, RETRY_STEPS);
  for (const consumer of legacyConsumers) {
    await channel.deleteQueue(consumer);
    await channel.deleteQueue(legacyRetryQueueName(consumer, 1));
  }
  await channel.deleteExchange(exchange);
  await admin.close();
}, 120_000);

describe('per-service RabbitMQ users (deploy/rabbitmq/service-users.sh)', () => {
  it('refuses payment.succeeded from notifications (403 ACCESS_REFUSED) and confirms it from payments', async () => {
    const forged = await publishAs('notifications', paymentSucceeded.type);
    expect(forged).toMatch(/403.*ACCESS_REFUSED/);
    expect(forged).toContain(`access to topic '${paymentSucceeded.type}' in exchange '${exchange}'`);
    expect(await publishAs('payments', paymentSucceeded.type)).toBe('confirmed');
  });

  it('lets each service publish its own events only', async () => {
    const outcomes = {
      orders: [await publishAs('orders', 'order.created'), await publishAs('orders', 'payment.failed')],
      products: [await publishAs('products', productChanged.type), await publishAs('products', 'order.updated')],
      notifications: [
        await publishAs('notifications', 'notification.email'),
        await publishAs('notifications', 'order.created'),
      ],
      gateway: [await publishAs('gateway', 'order.updated')],
      users: [
        await publishAs('users', notificationEmail.type),
        await publishAs('users', 'notification.sms'),
        await publishAs('users', userDeleted.type),
      ],
    };
    expect(outcomes.orders[0]).toBe('confirmed');
    expect(outcomes.products[0]).toBe('confirmed');
    expect(outcomes.notifications[0]).toBe('confirmed');
    expect(outcomes.users[0]).toBe('confirmed');
    expect(outcomes.users[2]).toBe('confirmed');
    const refusals = [outcomes.orders[1], outcomes.products[1], outcomes.notifications[1], outcomes.gateway[0]];
    for (const refused of [...refusals, outcomes.users[1]]) {
      expect(refused).toMatch(/403.*ACCESS_REFUSED/);
    }
  });

  it("keeps each service out of the others' queues and out of events it does not consume", async () => {
    const ordersQueue = `orders.${run}.probe`;
    queues.push(ordersQueue);
    const channel = await admin.createChannel();
    await channel.assertQueue(ordersQueue, { durable: false });
    await channel.close();
    expect(await attemptAs('notifications', (other) => other.consume(ordersQueue, () => {}))).toMatch(
      /403.*ACCESS_REFUSED/,
    );
    expect(await attemptAs('orders', (own) => own.consume(ordersQueue, () => {}))).toBe('allowed');
    expect(
      await attemptAs('notifications', (channel) => channel.assertQueue(`orders.${run}`, { exclusive: true })),
    ).toMatch(/403.*ACCESS_REFUSED/);
    // Binding its own queue to a key it does not consume (topic read permission), and to one it does.
    const bindAs = (service: Service, key: string) =>
      attemptAs(service, async (channel) => {
        // Not `<service>.<run>.probe`: orders' one is declared above, and not exclusive.
        const queue = `${service}.${run}.binding`;
        await channel.assertQueue(queue, { exclusive: true });
        await channel.bindQueue(queue, exchange, key);
      });
    expect(await bindAs('gateway', 'order.created')).toMatch(/403.*ACCESS_REFUSED/);
    expect(await bindAs('gateway', paymentSucceeded.type)).toBe('allowed');
    // Notifications forgets a deleted account and orders cancels its unpaid orders; nobody else hears of it.
    expect(await bindAs('notifications', userDeleted.type)).toBe('allowed');
    expect(await bindAs('orders', userDeleted.type)).toBe('allowed');
    expect(await bindAs('payments', userDeleted.type)).toMatch(/403.*ACCESS_REFUSED/);
    // Products consumes payment.succeeded only (its unpaid-order count), and may write to no queue through the default exchange.
    expect(await bindAs('products', 'order.updated')).toMatch(/403.*ACCESS_REFUSED/);
    expect(await bindAs('products', paymentSucceeded.type)).toBe('allowed');
    expect(await publishAsDefault('products', 'orders.payments')).toMatch(/403.*ACCESS_REFUSED/);
  });

  it('declares the shared exchange once, for all; no service may delete or redeclare it', async () => {
    const channel = await admin.createChannel();
    expect(await channel.checkExchange(exchange)).toBeDefined();
    await channel.close();
    for (const service of SERVICES) {
      expect(await attemptAs(service, (own) => own.deleteExchange(exchange)), service).toMatch(/403.*ACCESS_REFUSED/);
      expect(
        await attemptAs(service, (own) => own.assertExchange(exchange, 'topic', { durable: true })),
        service,
      ).toMatch(/403.*ACCESS_REFUSED/);
      expect(await attemptAs(service, (own) => own.checkExchange(exchange)), service).toBe('allowed');
    }
  });

  it("keeps every service out of other services' queues through the default exchange and dead-lettering", async () => {
    // Orders' real work queue, declared by orders itself.
    const consumer = `orders.${run}.payments`;
    consumers.push(consumer);
    const declared = await attemptAs('orders', (channel) => assertConsumerQueues(channel, consumer, RETRY_STEPS));
    expect(declared).toBe('allowed');
    // A forged payment.succeeded straight into it: the old grants confirmed this (write on amq.default).
    expect(await publishAsDefault('notifications', workQueueName(consumer))).toMatch(/403.*ACCESS_REFUSED/);
    expect(await publishAsDefault('payments', workQueueName(consumer))).toMatch(/403.*ACCESS_REFUSED/);
    // Through orders' own moves exchange (a retry or replay route), or a queue of its own that
    // dead-letters into it or into the default exchange: all refused.
    expect(await publishAs('notifications', ROUTES.work, movesExchangeName(consumer))).toMatch(/403.*ACCESS_REFUSED/);
    for (const deadLetterExchange of [movesExchangeName(consumer), '']) {
      const declaredAs = await attemptAs('notifications', (channel) =>
        channel.assertQueue(`notifications.${run}.forger`, {
          exclusive: true,
          arguments: {
            'x-dead-letter-exchange': deadLetterExchange,
            'x-dead-letter-routing-key': deadLetterExchange ? ROUTES.work : workQueueName(consumer),
          },
        }),
      );
      expect(declaredAs).toMatch(/403.*ACCESS_REFUSED/);
    }
    const channel = await admin.createChannel();
    expect((await channel.checkQueue(workQueueName(consumer))).messageCount).toBe(0);
    await channel.close();
  });

  it('lets users publish its password reset emails through its own event bus, which declares nothing', async () => {
    const inbox = `notifications.${run}.reset-mail`;
    queues.push(inbox);
    const channel = await admin.createChannel();
    await channel.assertQueue(inbox, { durable: false });
    await channel.bindQueue(inbox, exchange, notificationEmail.type);
    const users = new EventBus({
      url: urlOf('users'),
      exchange,
      exchangeProvisioned: true,
      log: silent,
      connectionName: 'perm-users',
    });
    try {
      const resetEmail = notificationEmail.create({
        userId: 'u1',
        to: 'ada@example.com',
        subject: 'Reset',
        body: 'link',
        confidential: true,
      });
      expect(await users.publish(resetEmail)).toMatchObject({ routed: true });
      await vi.waitFor(async () => expect((await channel.checkQueue(inbox)).messageCount).toBe(1), { timeout: 20_000 });
    } finally {
      await users.close();
      await channel.close();
    }
  });

  it("runs a consumer's real topology under its own user: queues, bindings, retry ladder, dead letters and replay", async () => {
    const queue = `orders.${run}`;
    consumers.push(queue);
    const orders = new EventBus({
      url: urlOf('orders'),
      exchange,
      exchangeProvisioned: true,
      log: silent,
      connectionName: 'perm-orders',
      retry: { maxAttempts: RETRY_STEPS + 1, baseDelayMs: 50, maxDelayMs: 50 },
    });
    const payments = new EventBus({
      url: urlOf('payments'),
      exchange,
      exchangeProvisioned: true,
      log: silent,
      connectionName: 'perm-payments',
    });
    const outcomes = new Map<string, SettledDelivery['outcome'][]>();
    const outcomesOf = (id: string) => outcomes.get(id) ?? [];
    const runs = new Map<string, number>();
    try {
      orders.onSettled(({ eventId, outcome }) => eventId && outcomes.set(eventId, [...outcomesOf(eventId), outcome]));
      await orders.subscribe({
        queue,
        events: [paymentSucceeded],
        handler: async ({ data }) => {
          const { paymentId } = data as { paymentId: string };
          runs.set(paymentId, (runs.get(paymentId) ?? 0) + 1);
          if (runs.get(paymentId) !== 1) return;
          if (paymentId === 'p-retry') throw new Error('first try fails: the message goes down the retry ladder');
          throw new RejectedEventError('first try refused: the message is parked');
        },
      });
      // The consumer is registered after its queues and bindings: once the broker counts it, events route.
      await vi.waitFor(async () => expect((await queueState(workQueueName(queue)))?.consumerCount).toBe(1), {
        timeout: 20_000,
      });
      const payment = (paymentId: string) =>
        paymentSucceeded.create({ paymentId, orderId: 'o1', userId: 'u1', amount: '10.00', transactionId: 't1' });
      const retried = payment('p-retry');
      const parked = payment('p-park');
      expect((await payments.publish(retried)).routed).toBe(true);
      expect((await payments.publish(parked)).routed).toBe(true);
      const settledAs = (id: string, outcome: SettledDelivery['outcome']) =>
        vi.waitFor(() => expect(outcomesOf(id)).toContain(outcome), { timeout: 20_000 });
      await settledAs(retried.id, 'handled');
      await settledAs(retried.id, 'retried');
      // Once down the ladder and once handled. Not in a set order: the first delivery's outcome is
      // reported when the broker confirms its move to the retry queue, and on a busy machine the
      // copy can come back (50 ms) and be handled first.
      expect(outcomesOf(retried.id).sort()).toEqual(['handled', 'retried']);
      expect(runs.get('p-retry')).toBe(2);
      await settledAs(parked.id, 'parked');

      // The operator's tools work as the service's user too.
      const dead = await inspectDeadLetters(urlOf('orders'), queue);
      expect(dead.map(({ messageId, reason }) => ({ messageId, reason }))).toEqual([
        { messageId: parked.id, reason: 'rejected' },
      ]);
      expect(await replayDeadLetters(urlOf('orders'), queue)).toEqual([parked.id]);
      await settledAs(parked.id, 'handled');
      expect(outcomesOf(parked.id)).toEqual(['parked', 'handled']);
      expect(await inspectDeadLetters(urlOf('orders'), queue)).toEqual([]);
    } finally {
      await orders.close();
      await payments.close();
    }
  });

  it("moves a consumer's v1 queues under its own user, which has no write on the default exchange", async () => {
    const queue = `orders.${run}.upgraded`;
    consumers.push(queue);
    legacyConsumers.push(queue);
    const v1 = await admin.createConfirmChannel();
    await declareV1Queues(v1, queue, { exchange, eventTypes: [paymentSucceeded.type], retrySteps: RETRY_STEPS });
    const payment = (paymentId: string) =>
      paymentSucceeded.create({ paymentId, orderId: 'o1', userId: 'u1', amount: '10.00', transactionId: 't1' });
    const waiting = payment('v1-waiting');
    const retrying = payment('v1-retrying');
    const properties = (event: EventEnvelope) => ({ persistent: true, messageId: event.id, type: event.type });
    v1.sendToQueue(queue, Buffer.from(JSON.stringify(waiting)), properties(waiting));
    v1.sendToQueue(legacyRetryQueueName(queue, 1), Buffer.from(JSON.stringify(retrying)), {
      ...properties(retrying),
      headers: { [HEADERS.attempts]: 1 },
      expiration: '600000',
    });
    await v1.waitForConfirms();
    await v1.close();

    const orders = new EventBus({
      url: urlOf('orders'),
      exchange,
      exchangeProvisioned: true,
      log: silent,
      connectionName: 'perm-upgrade',
      retry: { maxAttempts: RETRY_STEPS + 1, baseDelayMs: 50, maxDelayMs: 50 },
    });
    const handled: string[] = [];
    try {
      await orders.subscribe({
        queue,
        events: [paymentSucceeded],
        handler: async ({ data }) => {
          handled.push((data as { paymentId: string }).paymentId);
        },
      });
      await orders.migrateLegacyQueues(); // the process's start-up step
      await vi.waitFor(() => expect(handled).toContain('v1-waiting'), { timeout: 20_000 });
      expect(await queueState(queue)).toBeUndefined();
      expect(await queueState(legacyRetryQueueName(queue, 1))).toBeUndefined();
      expect((await queueState(retryQueueName(queue, 1)))?.messageCount).toBe(1);
    } finally {
      await orders.close();
    }
  });
});

/** A queue's depth and consumers, undefined while it does not exist (a failed check closes its channel: one per look). */
async function queueState(queue: string): Promise<amqplib.Replies.AssertQueue | undefined> {
  const channel = await admin.createChannel();
  channel.on('error', () => {});
  try {
    return await channel.checkQueue(queue);
  } catch {
    return undefined;
  } finally {
    await channel.close().catch(() => {});
  }
}

/** A publish straight into a queue through the default exchange, as `service`. */
const publishAsDefault = (service: Service, queue: string) => publishAs(service, queue, '');
