import { Counter } from 'prom-client';

/** Why a consumer parks a message in its dead-letter queue (the `reason` header and label). */
export const DEAD_LETTER_REASONS = ['invalid', 'rejected', 'handler-failed'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** Event counters on prom-client's default registry, served by each process's `/metrics`. */
export const eventMetrics = {
  published: new Counter({
    name: 'events_published_total',
    help: 'Events confirmed by the broker, by type',
    labelNames: ['type'] as const,
  }),
  consumed: new Counter({
    name: 'events_consumed_total',
    help: 'Events handled successfully, by queue and type',
    labelNames: ['queue', 'type'] as const,
  }),
  retried: new Counter({
    name: 'events_retried_total',
    help: 'Failed deliveries sent to a retry queue, by queue and type',
    labelNames: ['queue', 'type'] as const,
  }),
  deadLettered: new Counter({
    name: 'events_dead_lettered_total',
    help: 'Messages parked in a dead-letter queue (last try failed, or invalid), by queue and reason',
    labelNames: ['queue', 'reason'] as const,
  }),
};
