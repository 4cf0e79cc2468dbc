import type { Channel } from 'amqplib';

/**
 * Queue names and declarations of one durable consumer. Every queue talks to the others through
 * the default exchange (routing key = queue name), so a queue's arguments depend on its own name
 * only, never on the topic exchange it is bound to:
 *
 *   <queue>            quorum work queue; dead-letters (delivery limit, reject) to <queue>.dlq
 *   <queue>.retry.<n>  classic delay queue of the n-th retry; an expired message dead-letters
 *                      back to <queue>
 *   <queue>.dlq        quorum queue of parked messages, read and replayed by `pnpm events:dlq`
 */
export const retryQueueName = (queue: string, attempt: number): string => `${queue}.retry.${attempt}`;
export const deadLetterQueueName = (queue: string): string => `${queue}.dlq`;

/** Every queue of one consumer, e.g. for a test to delete what it declared. */
export const consumerQueueNames = (queue: string, retrySteps: number): string[] => [
  queue,
  deadLetterQueueName(queue),
  ...Array.from({ length: retrySteps }, (_, i) => retryQueueName(queue, i + 1)),
];

/**
 * Redeliveries after which the broker itself parks a message: a message that kills its consumer
 * before any ack (never reaching the retry ladder) must not crash-loop forever.
 */
export const DELIVERY_LIMIT = 20;

/** Headers the consumer sets on retried and parked messages. */
export const HEADERS = {
  /** Handler runs that failed so far. */
  attempts: 'x-shop-attempts',
  /** The last failure's message. */
  error: 'x-shop-error',
  /** The consumer queue the message failed in (where a replay sends it back). */
  queue: 'x-shop-queue',
  /** `handler-failed` (retries used up) or `invalid` (no retry can fix it). */
  reason: 'x-shop-reason',
  failedAt: 'x-shop-failed-at',
} as const;

export async function assertConsumerQueues(channel: Channel, queue: string, retrySteps: number): Promise<void> {
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
  for (let attempt = 1; attempt <= retrySteps; attempt++) {
    // Classic: each message carries its own `expiration`; all messages of one step wait equally long,
    // so the head always expires first. The wait lives on the message, so changing it needs no redeclare.
    await channel.assertQueue(retryQueueName(queue, attempt), {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
  }
}
