import type { Channel, MessagePropertyHeaders } from 'amqplib';
import type { FailureHistory } from './retry-policy.js';

/**
 * Names and declarations of one durable consumer `Q` (its logical name, e.g. `orders.payments`,
 * the one consumers, metrics and `pnpm events:dlq` use). Its queues reach each other through a
 * direct exchange of their own, never the default exchange: every name starts with `Q`, which
 * falls under the owning service's RabbitMQ permissions, and no service needs write on
 * `amq.default` (which reaches any queue of the vhost by name).
 *
 *   Q.moves           direct exchange; routing keys `work`, `retry.<n>` and `dlq`
 *   Q.v2              quorum work queue; dead-letters (delivery limit, reject) to `dlq`
 *   Q.v2.retry.<n>    classic delay queue of the n-th retry; an expired message dead-letters to `work`
 *   Q.dlq             quorum queue of parked messages, read and replayed by `pnpm events:dlq`
 *
 * `v2`: the first topology dead-lettered through the default exchange, and RabbitMQ refuses to
 * redeclare a queue with other arguments, so the queues whose arguments changed took new names;
 * legacy-queues.ts moves what the old ones hold. The dead-letter queue kept its arguments and name.
 */
export const movesExchangeName = (queue: string): string => `${queue}.moves`;
export const workQueueName = (queue: string): string => `${queue}.v2`;
export const retryQueueName = (queue: string, attempt: number): string => `${workQueueName(queue)}.retry.${attempt}`;
export const deadLetterQueueName = (queue: string): string => `${queue}.dlq`;

/** Routing keys of the moves exchange: the same for every consumer, since each has its own exchange. */
export const ROUTES = {
  work: 'work',
  retry: (attempt: number): string => `retry.${attempt}`,
  dlq: 'dlq',
} as const;

/**
 * Redeliveries after which the broker itself parks a message: a message that kills its consumer
 * before any ack (never reaching the retry ladder) must not crash-loop forever.
 */
export const DELIVERY_LIMIT = 20;

/** Headers the consumer sets on retried and parked messages. */
export const HEADERS = {
  /** Handler runs that failed so far, those during an outage aside. */
  attempts: 'x-shop-attempts',
  /** Handler runs that failed because a dependency did not answer (see RetryPolicy.outagePatienceMs). */
  outages: 'x-shop-outages',
  /** When the first of those failed (epoch ms). */
  outageSince: 'x-shop-outage-since',
  /** The last failure's message. */
  error: 'x-shop-error',
  /** The consumer (logical queue name) the message failed in. */
  queue: 'x-shop-queue',
  /** Why it was parked: one of DEAD_LETTER_REASONS. */
  reason: 'x-shop-reason',
  failedAt: 'x-shop-failed-at',
} as const;

/**
 * The retry bookkeeping a delivery carries (none on a first delivery, or after a replay). A value
 * that is not a number counts as absent: NaN would never reach a bound.
 */
export function historyOf(headers: MessagePropertyHeaders | undefined): FailureHistory {
  const since = numberOf(headers?.[HEADERS.outageSince]);
  return {
    attempts: numberOf(headers?.[HEADERS.attempts]) ?? 0,
    outages: numberOf(headers?.[HEADERS.outages]) ?? 0,
    ...(since === undefined ? {} : { outageSince: since }),
  };
}

function numberOf(value: unknown): number | undefined {
  const number = Number(value ?? Number.NaN);
  return Number.isFinite(number) ? number : undefined;
}

/** The headers that carry `history` to the next try (or into the dead-letter queue). */
export function historyHeaders(history: FailureHistory): Record<string, number> {
  return {
    [HEADERS.attempts]: history.attempts,
    ...(history.outages > 0 ? { [HEADERS.outages]: history.outages } : {}),
    ...(history.outageSince === undefined ? {} : { [HEADERS.outageSince]: history.outageSince }),
  };
}

export async function assertConsumerQueues(channel: Channel, queue: string, retrySteps: number): Promise<void> {
  const exchange = movesExchangeName(queue);
  await channel.assertExchange(exchange, 'direct', { durable: true });
  const dlq = deadLetterQueueName(queue);
  await channel.assertQueue(dlq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(dlq, exchange, ROUTES.dlq);
  const work = workQueueName(queue);
  await channel.assertQueue(work, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': exchange,
      'x-dead-letter-routing-key': ROUTES.dlq,
      'x-delivery-limit': DELIVERY_LIMIT,
    },
  });
  await channel.bindQueue(work, exchange, ROUTES.work);
  for (let attempt = 1; attempt <= retrySteps; attempt++) {
    // Classic: each message carries its own `expiration`; all messages of one step wait equally long,
    // so the head always expires first. The wait lives on the message, so changing it needs no redeclare.
    const retry = retryQueueName(queue, attempt);
    await channel.assertQueue(retry, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': exchange, 'x-dead-letter-routing-key': ROUTES.work },
    });
    await channel.bindQueue(retry, exchange, ROUTES.retry(attempt));
  }
}

/** Deletes a consumer's queues and exchange, e.g. what a test declared. */
export async function deleteConsumerTopology(channel: Channel, queue: string, retrySteps: number): Promise<void> {
  const names = [workQueueName(queue), deadLetterQueueName(queue)];
  for (let attempt = 1; attempt <= retrySteps; attempt++) names.push(retryQueueName(queue, attempt));
  for (const name of names) await channel.deleteQueue(name);
  await channel.deleteExchange(movesExchangeName(queue));
}
