import type { GetMessage } from 'amqplib';
import { withChannel } from './broker-channel.js';
import { moveMessages } from './message-mover.js';
import { deadLetterQueueName, HEADERS, movesExchangeName, ROUTES } from './topology.js';

/** A message parked in a consumer's dead-letter queue, as `pnpm events:dlq` shows it. */
export interface ParkedMessage {
  messageId: string | undefined;
  type: string | undefined;
  /**
   * `handler-failed`, `outage` (a dependency stayed unavailable past EVENTS_OUTAGE_PATIENCE),
   * `invalid`, `rejected` (refused by the handler), or `delivery-limit` (parked by the broker after crash loops).
   */
  reason: string;
  error: string | undefined;
  /** Failed runs that counted toward EVENTS_MAX_ATTEMPTS. */
  attempts: number;
  /** Failed runs while a dependency did not answer (not counted). */
  outages: number;
  failedAt: string | undefined;
  /** The message as parked, but for a confidential email's body (see `withheldBody`). */
  body: string;
}

/** What `pnpm events:dlq show` prints in place of a confidential email's body. */
export const WITHHELD_BODY = '[withheld: confidential; a replay sends it as it was]';

/**
 * The message's text, with the body of a confidential email (a password reset or confirmation
 * link, which signs its holder in or confirms an address) replaced: whoever reads a dead-letter
 * queue (an operator, a support ticket the output lands in) must not get a live link. The message
 * itself stays as it was, and a replay sends it.
 */
function withheldBody(content: string): string {
  let envelope: { data?: { confidential?: unknown; body?: unknown } };
  try {
    envelope = JSON.parse(content);
  } catch {
    return content;
  }
  if (envelope?.data?.confidential !== true || envelope.data.body === undefined) return content;
  return JSON.stringify({ ...envelope, data: { ...envelope.data, body: WITHHELD_BODY } });
}

/** AMQP's reply code for a queue that does not exist. */
const NOT_FOUND = 404;

/** `orders.payments` and `orders.payments.dlq` both name the dead-letter queue of that consumer. */
const dlqOf = (queue: string): string => (queue.endsWith('.dlq') ? queue : deadLetterQueueName(queue));
const consumerOf = (dlq: string): string => dlq.slice(0, -'.dlq'.length);

function toParked(message: GetMessage): ParkedMessage {
  const headers = message.properties.headers ?? {};
  const death = (headers['x-death'] as { reason?: string }[] | undefined)?.[0];
  return {
    messageId: message.properties.messageId as string | undefined,
    type: message.properties.type as string | undefined,
    reason: String(headers[HEADERS.reason] ?? (death?.reason === 'delivery_limit' ? 'delivery-limit' : death?.reason)),
    error: headers[HEADERS.error] as string | undefined,
    attempts: Number(headers[HEADERS.attempts] ?? 0),
    outages: Number(headers[HEADERS.outages] ?? 0),
    failedAt: headers[HEADERS.failedAt] as string | undefined,
    body: withheldBody(message.content.toString('utf8')),
  };
}

/**
 * How many messages each consumer's dead-letter queue holds. A missing queue counts as 0 (its
 * consumer never ran); any other refusal (a user not allowed to read it) is thrown, never a 0.
 */
export async function countDeadLetters(url: string, queues: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const queue of queues) {
    counts[dlqOf(queue)] = await withChannel(url, async (channel) => {
      // A missing queue closes the channel with 404; a fresh connection per queue keeps that local.
      channel.on('error', () => {});
      return (await channel.checkQueue(dlqOf(queue))).messageCount;
    }).catch((error: { code?: unknown }) => {
      if (error?.code === NOT_FOUND) return 0;
      throw error;
    });
  }
  return counts;
}

/** Reads up to `limit` parked messages without removing any. */
export async function inspectDeadLetters(url: string, queue: string, limit = 50): Promise<ParkedMessage[]> {
  return withChannel(url, async (channel) => {
    const parked: ParkedMessage[] = [];
    while (parked.length < limit) {
      const message = await channel.get(dlqOf(queue));
      if (!message) break;
      parked.push(toParked(message));
    }
    return parked;
  });
}

/**
 * Sends parked messages back to their consumer's work queue (through its moves exchange) with a
 * fresh retry budget: all of them, or those whose id is listed. Each leaves the dead-letter queue
 * only once the broker confirmed and routed its copy. Only the messages parked when it starts are
 * taken: one that fails again is parked again at the tail, and would otherwise be replayed without
 * end. Returns the ids replayed.
 */
export async function replayDeadLetters(url: string, queue: string, messageIds?: string[]): Promise<string[]> {
  const dlq = dlqOf(queue);
  const exchange = movesExchangeName(consumerOf(dlq));
  return withChannel(url, async (channel) => {
    const { messageCount } = await channel.checkQueue(dlq);
    const moved = await moveMessages(
      channel,
      dlq,
      (message) => {
        const id = message.properties.messageId as string | undefined;
        if (messageIds && !(id && messageIds.includes(id))) return undefined;
        const headers = message.properties.headers ?? {};
        return {
          exchange,
          routingKey: ROUTES.work,
          options: {
            persistent: true,
            contentType: message.properties.contentType as string | undefined,
            messageId: id,
            type: message.properties.type as string | undefined,
            timestamp: message.properties.timestamp as number | undefined,
            // A fresh start (no retry counters), but still part of the trace that produced the event.
            headers: {
              ...pick(headers, ['traceparent', 'tracestate']),
              'x-shop-replayed-at': new Date().toISOString(),
            },
          },
        };
      },
      messageCount,
    );
    return moved.flatMap((message) => (message.properties.messageId ? [message.properties.messageId as string] : []));
  });
}

const pick = (headers: Record<string, unknown>, names: string[]) =>
  Object.fromEntries(names.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]));
