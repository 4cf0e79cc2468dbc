import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { pino } from 'pino';
import type { EventEnvelope } from './envelope.js';
import { EventBus } from './event-bus.js';
import { notificationEmail } from './notification-email.event.js';
import { waitForConsumers } from './test-broker.js';
import { deleteConsumerTopology } from './topology.js';

/** A notification.email consumer on an exchange of its own that parks every message while `failing`. */
export interface FailingConsumer {
  bus: EventBus;
  queue: string;
  /** What the handler took once `failing` was turned off. */
  delivered: EventEnvelope[];
  failing: boolean;
  /** Closes the bus and deletes its exchange and queues. */
  close: () => Promise<void>;
}

/**
 * Starts a consumer (`<name>.<run>.sender`) with one try, so a failure parks the message at once in
 * its dead-letter queue: what the operator's dead-letter tools read and replay.
 */
export async function startFailingConsumer(url: string, name: string): Promise<FailingConsumer> {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const exchange = `${name}.${run}.events`;
  const queue = `${name}.${run}.sender`;
  const admin = await amqplib.connect(url);
  const setup = await admin.createChannel();
  await setup.assertExchange(exchange, 'topic', { durable: true });
  await setup.close();
  const retry = { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 100 };
  const bus = new EventBus({ url, exchange, log: pino({ level: 'silent' }), connectionName: run, retry });
  const consumer: FailingConsumer = {
    bus,
    queue,
    delivered: [],
    failing: true,
    close: async () => {
      await bus.close();
      const channel = await admin.createChannel();
      await deleteConsumerTopology(channel, queue, 0);
      await channel.deleteExchange(exchange);
      await admin.close();
    },
  };
  await bus.subscribe({
    queue,
    events: [notificationEmail],
    handler: async (event) => {
      if (consumer.failing) throw new Error('SMTP server away');
      consumer.delivered.push(event);
    },
  });
  await waitForConsumers(url, [queue]);
  return consumer;
}
