import amqplib, { type Channel, type ChannelModel, type GetMessage, type Replies } from 'amqplib';
import type { Logger } from 'pino';
import { type MessageCopy, moveMessages, publishedProperties } from './message-mover.js';
import { assertConsumerQueues, movesExchangeName, ROUTES, workQueueName } from './topology.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** The most retry steps a v1 consumer can have had (EVENTS_MAX_ATTEMPTS is at most 20). */
const MAX_LEGACY_RETRY_STEPS = 19;

/** v1 names: the work queue was the logical name itself, its retry queues `<queue>.retry.<n>`. */
export const legacyRetryQueueName = (queue: string, step: number): string => `${queue}.retry.${step}`;

export interface LegacyMigration {
  url: string;
  /** The consumer's logical name, which was also the name of its v1 work queue. */
  queue: string;
  /** The shared topic exchange and the event types the consumer binds. */
  exchange: string;
  eventTypes: string[];
  /** Steps of the current retry ladder. */
  retrySteps: number;
  log: Logger;
}

/**
 * Moves what the v1 queues of a consumer still hold into its current queues, then deletes them
 * (topology.ts says why the names changed). Run by each durable consumer on start, as its own
 * RabbitMQ user. No message is lost on the way:
 *
 * 1. While a consumer (a replica of the old version) is attached to the v1 work queue, nothing
 *    happens: it may still send messages to the v1 retry queues. The next start moves them.
 * 2. The current queues are declared and bound (again) on this channel before the v1 work queue is
 *    unbound, so every event from then on reaches the new one and none falls between the two.
 * 3. Each v1 retry queue moves to the retry queue of the same step (the last step if the ladder is
 *    shorter now) with its `expiration`, so its wait starts again; then it is deleted if empty
 *    (classic queues check that atomically). A message expiring meanwhile lands in the v1 work
 *    queue, which is still there.
 * 4. The v1 work queue moves to the work queue, then is deleted. Quorum queues cannot be deleted
 *    "if empty", but by then nothing can add to it: unbound, its retry queues gone, no consumer.
 *    (Bindings of event types the consumer no longer subscribes to are not known here and stay
 *    until the delete; such an event would only be parked as unknown by the new consumer.)
 * The v1 dead-letter queue is the current one (same name and arguments) and stays as it is.
 *
 * Events that were in both work queues arrive twice; every consumer is idempotent by event id
 * (its effect records the event, or is keyed by it) and absorbs the copy. Returns how many messages
 * moved. A failure is logged, never thrown: the service runs on its new queues either way, the
 * messages stay where they were, and the next start tries again.
 */
export async function migrateLegacyQueues(options: LegacyMigration): Promise<number> {
  const { queue, log } = options;
  let connection: ChannelModel | undefined;
  try {
    // Bounded: subscribing (and so the service's start) waits for this.
    connection = await amqplib.connect(options.url, { timeout: CONNECT_TIMEOUT_MS });
    connection.on('error', (error) => log.warn({ err: error, queue }, 'legacy queue migration: connection error'));
    const legacy = await checkQueue(connection, queue);
    if (!legacy) return 0;
    if (legacy.consumerCount > 0) {
      log.warn({ queue, consumers: legacy.consumerCount }, 'v1 queues still consumed by the old version; not moved');
      return 0;
    }
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {}); // the failing operation rejects too, and is logged below
    await assertConsumerQueues(channel, queue, options.retrySteps);
    for (const type of options.eventTypes) await channel.bindQueue(workQueueName(queue), options.exchange, type);
    for (const type of options.eventTypes) await channel.unbindQueue(queue, options.exchange, type);

    const exchange = movesExchangeName(queue);
    let moved = 0;
    for (let step = 1; step <= MAX_LEGACY_RETRY_STEPS; step++) {
      const retry = legacyRetryQueueName(queue, step);
      if (!(await checkQueue(connection, retry))) continue;
      const toStep = Math.min(step, options.retrySteps);
      const copyOf = (message: GetMessage): MessageCopy =>
        toStep > 0
          ? { exchange, routingKey: ROUTES.retry(toStep), options: publishedProperties(message.properties) }
          : toWork(exchange, message);
      moved += (await moveMessages(channel, retry, copyOf)).length;
      await channel.deleteQueue(retry, { ifEmpty: true });
    }
    moved += (await moveMessages(channel, queue, (message) => toWork(exchange, message))).length;
    const { messageCount } = await channel.deleteQueue(queue);
    if (messageCount > 0) log.error({ queue, lost: messageCount }, 'v1 work queue deleted with messages in it');
    log.info({ queue, moved }, 'v1 queues moved to the current topology and deleted');
    return moved;
  } catch (error) {
    log.error({ err: error, queue }, 'legacy queue migration failed; the next start tries again');
    return 0;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Straight to the work queue, without a retry wait: a message there must not expire. */
const toWork = (exchange: string, message: GetMessage): MessageCopy => ({
  exchange,
  routingKey: ROUTES.work,
  options: { ...publishedProperties(message.properties), expiration: undefined },
});

/** A passive declare: undefined when the queue does not exist (404 closes the channel, hence one per look). */
async function checkQueue(connection: ChannelModel, queue: string): Promise<Replies.AssertQueue | undefined> {
  let channel: Channel | undefined;
  try {
    channel = await connection.createChannel();
    channel.on('error', () => {});
    return await channel.checkQueue(queue);
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  } finally {
    await channel?.close().catch(() => undefined);
  }
}
