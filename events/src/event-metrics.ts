import { Counter, Gauge, register } from 'prom-client';

/** Why a consumer parks a message in its dead-letter queue (the `reason` header and label). */
export const DEAD_LETTER_REASONS = ['invalid', 'rejected', 'handler-failed', 'outage'] as const;
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
  outageRetried: new Counter({
    name: 'events_outage_retries_total',
    help: 'Of the retried deliveries, those whose handler failed because a dependency did not answer (no attempt used), by queue',
    labelNames: ['queue'] as const,
  }),
  deadLettered: new Counter({
    name: 'events_dead_lettered_total',
    help: 'Messages parked in a dead-letter queue (last try failed, or invalid), by queue and reason',
    labelNames: ['queue', 'reason'] as const,
  }),
};

/** Each open bus of this process: whether it is connected with every channel set up. */
const buses = new Set<() => boolean>();

/**
 * Adds a bus to `events_broker_connected` (registered by the first): 1 while every open bus of the
 * process is connected with its channels set up, else 0 (the lowest over a cluster's workers).
 * Readiness only reports the broker, so this is what an alert reads. Returns the removal, for close.
 */
export function reportBrokerConnection(connected: () => boolean): () => void {
  if (!register.getSingleMetric('events_broker_connected')) {
    new Gauge({
      name: 'events_broker_connected',
      help: "1 while this process's broker connection and channels are up, 0 while it consumes and publishes nothing",
      aggregator: 'min',
      collect() {
        this.set([...buses].every((up) => up()) ? 1 : 0);
      },
    });
  }
  buses.add(connected);
  return () => buses.delete(connected);
}
