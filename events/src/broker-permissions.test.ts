// The per-service RabbitMQ users of docker compose (deploy/rabbitmq/service-users.sh, run here by
// the same script against the test broker): each may do what its service does, and no service may
// publish another's events — notifications cannot forge `payment.succeeded`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventBus, type SettledDelivery } from './event-bus.js';
import { paymentSucceeded } from './payment-succeeded.event.js';
import { productChanged } from './product-changed.event.js';
import { consumerQueueNames } from './topology.js';

const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/shop_test';
const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../deploy/rabbitmq/service-users.sh');
const SERVICES = ['orders', 'payments', 'notifications', 'products', 'gateway'] as const;
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

/** One confirmed publish on the shared exchange as `service`: 'confirmed', or the broker's refusal. */
async function publishAs(service: Service, routingKey: string): Promise<string> {
  const connection = await amqplib.connect(urlOf(service));
  try {
    const channel = await connection.createConfirmChannel();
    const closed = new Promise<string>((done) => channel.on('error', (error: Error) => done(error.message)));
    const confirmed = new Promise<string>((done, fail) =>
      channel.publish(exchange, routingKey, Buffer.from('{}'), { persistent: true }, (error) =>
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

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RABBITMQ_VHOST: vhost,
    AMQP_EXCHANGE: exchange,
    RABBITMQ_USER_PREFIX: userPrefix,
  };
  for (const service of SERVICES) env[`RABBITMQ_${service.toUpperCase()}_PASSWORD`] = passwords[service];
  await promisify(execFile)('bash', [SCRIPT], { env });
  admin = await amqplib.connect(AMQP_URL);
  const channel = await admin.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.close();
}, 240_000);

afterAll(async () => {
  // Users first: they exist even when the set-up failed half-way.
  for (const service of SERVICES) await rabbitmqctl('delete_user', `${userPrefix}${service}`).catch(() => {});
  if (!admin) return;
  const channel = await admin.createChannel();
  for (const queue of queues) await channel.deleteQueue(queue);
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
    };
    expect(outcomes.orders[0]).toBe('confirmed');
    expect(outcomes.products[0]).toBe('confirmed');
    expect(outcomes.notifications[0]).toBe('confirmed');
    for (const refused of [outcomes.orders[1], outcomes.products[1], outcomes.notifications[1], outcomes.gateway[0]]) {
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
    // Binding its own queue to a key it does not consume (topic read permission).
    const queue = `gateway.${run}.probe`;
    expect(
      await attemptAs('gateway', async (channel) => {
        await channel.assertQueue(queue, { exclusive: true });
        await channel.bindQueue(queue, exchange, paymentSucceeded.type);
      }),
    ).toMatch(/403.*ACCESS_REFUSED/);
    // Products consumes nothing and may write to no queue through the default exchange.
    expect(await publishAsDefault('products', 'orders.payments')).toMatch(/403.*ACCESS_REFUSED/);
  });

  it("runs each consumer's real topology under its own user: queues, bindings, retry ladder and dead letters", async () => {
    const queue = `orders.${run}`;
    queues.push(...consumerQueueNames(queue, 1));
    const orders = new EventBus({
      url: urlOf('orders'),
      exchange,
      log: silent,
      connectionName: 'perm-orders',
      retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 50 },
    });
    const payments = new EventBus({ url: urlOf('payments'), exchange, log: silent, connectionName: 'perm-payments' });
    const settled: SettledDelivery['outcome'][] = [];
    let calls = 0;
    try {
      const done = new Promise<void>((resolve) =>
        orders.onSettled((delivery) => {
          settled.push(delivery.outcome);
          if (delivery.outcome !== 'retried') resolve();
        }),
      );
      await orders.subscribe({
        queue,
        events: [paymentSucceeded],
        handler: async () => {
          calls++;
          if (calls === 1) throw new Error('first try fails: the message goes down the retry ladder');
        },
      });
      // The consumer is registered after its queues and bindings: once the broker counts it, events route.
      await vi.waitFor(async () => expect(await consumersOf(queue)).toBe(1), { timeout: 20_000 });
      const event = paymentSucceeded.create({
        paymentId: 'p1',
        orderId: 'o1',
        userId: 'u1',
        amount: '10.00',
        transactionId: 't1',
      });
      expect((await payments.publish(event)).routed).toBe(true);
      await done;
      expect(settled.slice(0, 2)).toEqual(['retried', 'handled']);
    } finally {
      await orders.close();
      await payments.close();
    }
  });
});

/** Consumers of a queue, 0 while it does not exist (a failed check closes its channel: one channel per look). */
async function consumersOf(queue: string): Promise<number> {
  const channel = await admin.createChannel();
  channel.on('error', () => {});
  try {
    return (await channel.checkQueue(queue)).consumerCount;
  } catch {
    return 0;
  } finally {
    await channel.close().catch(() => {});
  }
}

/** A publish straight into a queue through the default exchange, as `service`. */
async function publishAsDefault(service: Service, queue: string): Promise<string> {
  const connection = await amqplib.connect(urlOf(service));
  try {
    const channel = await connection.createConfirmChannel();
    const closed = new Promise<string>((done) => channel.on('error', (error: Error) => done(error.message)));
    const confirmed = new Promise<string>((done, fail) =>
      channel.sendToQueue(queue, Buffer.from('{}'), {}, (error) => (error ? fail(error) : done('confirmed'))),
    ).catch(() => closed);
    return await Promise.race([confirmed, closed]);
  } finally {
    await connection.close().catch(() => {});
  }
}
