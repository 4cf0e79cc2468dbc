import { trace } from '@opentelemetry/api';
import { failSpan } from '@shop/telemetry';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { EventDefinition, EventEnvelope } from './envelope.js';
import { type DeadLetterReason, eventMetrics } from './event-metrics.js';
import { failureText } from './failure-text.js';
import { RejectedEventError } from './rejected-event.error.js';
import { afterFailure, type FailureHistory, type RetryPolicy } from './retry-policy.js';
import { HEADERS, historyHeaders, historyOf, ROUTES } from './topology.js';

/**
 * What became of one delivery: handled (acked), sent down the retry ladder, parked in the
 * dead-letter queue, dropped (fan-out consumers), or requeued when moving it failed.
 */
export type Outcome = 'handled' | 'retried' | 'parked' | 'dropped' | 'requeued';

/** Acks or nacks on the channel a delivery came from, if it is still open. */
export type Settle = (action: (ch: Channel) => void) => void;

/** One consumer's handling of its deliveries, as EventBus.subscribe sets it up. */
export interface ConsumerRules {
  /** The consumer's logical name (metrics, the dead-letter header). */
  name: string;
  /** The queue it consumes (logs). */
  queue: string;
  /** A fan-out consumer: no ladder, a failure drops the message. */
  exclusive: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: a consumer lists events of different payload types
  definitions: Map<string, EventDefinition<string, any>>;
  handler: (event: EventEnvelope) => Promise<void>;
  retry: RetryPolicy;
  /** Whether a handler's error means a dependency did not answer (EventBusOptions.outage). */
  outage: ((error: unknown) => boolean) | undefined;
  log: Logger;
  /**
   * Moves a message to `routingKey` of the consumer's moves exchange (a retry step, the dead-letter
   * queue): true once the copy is confirmed, else the original is requeued.
   */
  move: (
    message: ConsumeMessage,
    routingKey: string,
    settle: Settle,
    headers: Record<string, unknown>,
    expiration?: string,
  ) => Promise<boolean>;
}

/** To the dead-letter queue, with why; the header names the consumer by its logical name. */
async function park(
  rules: ConsumerRules,
  message: ConsumeMessage,
  settle: Settle,
  reason: DeadLetterReason,
  error: string,
  history: FailureHistory,
): Promise<Outcome> {
  const parked = await rules.move(message, ROUTES.dlq, settle, {
    [HEADERS.reason]: reason,
    [HEADERS.error]: failureText(error),
    ...historyHeaders(history),
    [HEADERS.queue]: rules.name,
    [HEADERS.failedAt]: new Date().toISOString(),
  });
  if (parked) eventMetrics.deadLettered.inc({ queue: rules.name, reason });
  return parked ? 'parked' : 'requeued';
}

/**
 * Runs the consumer's handler on one delivery and settles it: acked, a step up the retry ladder
 * (RetryPolicy, afterFailure), parked in the dead-letter queue, or dropped (fan-out consumers,
 * which have no ladder).
 */
export async function settleDelivery(
  rules: ConsumerRules,
  message: ConsumeMessage,
  raw: Channel | undefined,
): Promise<Outcome> {
  const settle: Settle = (action) => {
    try {
      if (raw) action(raw);
    } catch {
      // The channel is gone; the broker requeues the message for the next consumer.
    }
  };
  const envelope = safeJson(message.content) as { type?: unknown } | undefined;
  const definition = typeof envelope?.type === 'string' ? rules.definitions.get(envelope.type) : undefined;
  const parsed = definition?.schema.safeParse(envelope);
  const history = historyOf(message.properties.headers);
  if (!parsed?.success) {
    failSpan(trace.getActiveSpan(), 'invalid event');
    // No retry can fix it: straight to the dead-letter queue.
    const reason = parsed ? JSON.stringify(parsed.error.issues) : 'unknown event type or not JSON';
    rules.log.error({ queue: rules.queue, messageId: message.properties.messageId, reason }, 'invalid event parked');
    if (rules.exclusive) {
      settle((ch) => ch.nack(message, false, false));
      return 'dropped';
    }
    return park(rules, message, settle, 'invalid', reason, history);
  }
  try {
    await rules.handler(parsed.data);
    settle((ch) => ch.ack(message));
    eventMetrics.consumed.inc({ queue: rules.name, type: parsed.data.type });
    return 'handled';
  } catch (error) {
    failSpan(trace.getActiveSpan(), error);
    const context = {
      err: error,
      queue: rules.queue,
      eventId: parsed.data.id,
      type: parsed.data.type,
      attempts: history.attempts + 1,
    };
    const text = failureText(error);
    if (rules.exclusive) {
      rules.log.error(context, 'event handler failed; fan-out message dropped');
      settle((ch) => ch.nack(message, false, false));
      return 'dropped';
    }
    if (error instanceof RejectedEventError) {
      rules.log.error({ ...context, alert: true, reason: error.reason }, 'event rejected; message parked');
      return park(rules, message, settle, 'rejected', text, { ...history, attempts: history.attempts + 1 });
    }
    const verdict = afterFailure(rules.retry, history, rules.outage?.(error) ?? false, Date.now());
    const tried = { ...context, attempts: verdict.history.attempts, outages: verdict.history.outages };
    if (verdict.action === 'park') {
      const last =
        verdict.reason === 'outage'
          ? 'event handler failed for the last time: the outage outlasted EVENTS_OUTAGE_PATIENCE; message parked'
          : 'event handler failed for the last time; message parked';
      rules.log.error(tried, last);
      return park(rules, message, settle, verdict.reason, text, verdict.history);
    }
    rules.log.warn({ ...tried, delayMs: verdict.delayMs }, 'event handler failed; will retry');
    const scheduled = await rules.move(
      message,
      ROUTES.retry(verdict.step),
      settle,
      { ...historyHeaders(verdict.history), [HEADERS.error]: text },
      String(verdict.delayMs),
    );
    if (scheduled) {
      eventMetrics.retried.inc({ queue: rules.name, type: parsed.data.type });
      if (verdict.history.outages > history.outages) eventMetrics.outageRetried.inc({ queue: rules.name });
    }
    return scheduled ? 'retried' : 'requeued';
  }
}

function safeJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}
