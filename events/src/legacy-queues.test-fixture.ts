import type { Channel } from 'amqplib';
import { legacyRetryQueueName } from './legacy-queues.js';
import { DELIVERY_LIMIT, deadLetterQueueName } from './topology.js';

/**
 * The v1 topology of a consumer, declared as the first version of topology.ts did (everything
 * through the default exchange), with its work queue bound to `eventTypes` on `exchange`.
 */
export async function declareV1Queues(
  channel: Channel,
  queue: string,
  options: { exchange: string; eventTypes: string[]; retrySteps: number },
): Promise<void> {
  await channel.assertQueue(deadLetterQueueName(queue), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueueName(queue),
      'x-delivery-limit': DELIVERY_LIMIT,
    },
  });
  for (let step = 1; step <= options.retrySteps; step++) {
    await channel.assertQueue(legacyRetryQueueName(queue, step), {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
  }
  for (const type of options.eventTypes) await channel.bindQueue(queue, options.exchange, type);
}
