import { randomUUID } from 'node:crypto';
import { EventBus, type EventEnvelope, orderCreated } from '@shop/events';
import { connectTestMongo, silentLogger } from '@shop/platform/testing';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToEvents } from './events.js';
import { NotificationModel } from './notification/notification.model.js';
import { NotificationService } from './notification/notification.service.js';

const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/shop_test';
// Names of this run only, so parallel runs and the real `notifications.events` never meet.
const run = randomUUID().slice(0, 8);
const exchange = `test.notifications.${run}`;
const queue = `test.notifications.events.${run}`;

let db: { drop: () => Promise<void> };
let bus: EventBus;

async function withChannel<T>(use: (channel: amqplib.Channel) => Promise<T>): Promise<T> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    // A refused operation also rejects its own promise; without a listener it would crash the run.
    channel.on('error', () => {});
    return await use(channel);
  } finally {
    await connection.close();
  }
}

async function eventually<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  db = await connectTestMongo('notifications');
  bus = new EventBus({ url: AMQP_URL, exchange, log: silentLogger, connectionName: `notifications-test-${run}` });
  await subscribeToEvents(bus, new NotificationService(), queue);
  // subscribe() may resolve before the broker has the binding; a consumer means setup is done.
  // checkQueue closes the channel while the queue does not exist yet, hence a channel per try.
  const consuming = () => withChannel(async (channel) => (await channel.checkQueue(queue)).consumerCount > 0);
  await eventually(() => consuming().catch(() => false));
});
afterAll(async () => {
  await bus.close();
  await withChannel(async (channel) => {
    await channel.deleteQueue(queue);
    await channel.deleteQueue(`${queue}.dlq`);
    await channel.deleteExchange(exchange);
  });
  await db.drop();
});

describe('notifications on RabbitMQ', () => {
  it('records an order.created event published on the exchange', async () => {
    const event = orderCreated.create({ orderId: 'o-amqp', userId: 'u-amqp', totalAmount: '42.00', items: [] });
    await bus.publish(event);
    const record = await eventually(() => NotificationModel.findOne({ eventId: event.id }).lean());
    expect(record).toMatchObject({ userId: 'u-amqp', orderId: 'o-amqp', eventType: 'order.created', channel: 'EMAIL' });
  });

  it('dead-letters a message that does not match its event schema', async () => {
    const valid = orderCreated.create({ orderId: 'o-bad', userId: 'u-bad', totalAmount: '1.00', items: [] });
    const invalid = { ...valid, data: { orderId: 'o-bad', totalAmount: 1 } } as EventEnvelope;
    await bus.publish(invalid);

    const dead = await withChannel((channel) => eventually(() => channel.get(`${queue}.dlq`, { noAck: true })));
    expect(JSON.parse(dead.content.toString('utf8'))).toMatchObject({ id: valid.id, type: 'order.created' });
    expect(await NotificationModel.countDocuments({ eventId: valid.id })).toBe(0);
  });
});
