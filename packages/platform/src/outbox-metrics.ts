import { Counter } from 'prom-client';
import { metricOnFirstUse } from './metric-on-first-use.js';
import { stateGauge } from './state-gauge.js';

/** Each started relay's outboxes (a collection or a table): how a scrape counts their waiting events. */
const backlogCounts: Record<string, () => Promise<number>> = {};

const parkedEvents = () =>
  metricOnFirstUse(
    'outbox_events_parked_total',
    (name) =>
      new Counter({
        name,
        help: 'Events no queue was bound for, parked aside instead of published (alert on any), by outbox',
        labelNames: ['outbox'] as const,
      }),
  );

/**
 * Called by a relay as it starts, for each outbox it publishes (a process without one serves no
 * outbox metric): `outbox_pending_events` counts its waiting events at each scrape with `backlog`
 * (the database's backlog, all replicas' writes), and its `outbox_events_parked_total` series
 * starts at 0, since Prometheus' increase() does not count a series' first sample.
 */
export function reportOutbox(outbox: string, backlog: () => Promise<number>): void {
  backlogCounts[outbox] = backlog;
  stateGauge(
    'outbox_pending_events',
    'Events written with their state change and not yet confirmed by the broker, by collection (or table)',
    { label: 'collection', counts: backlogCounts },
  );
  parkedEvents().inc({ outbox }, 0);
}

/**
 * Counts events the broker confirmed but could route to no queue: parked (kept aside, out of the
 * outbox, so the events after them go on) and logged at error by both relays, for an alert.
 */
export function countParkedEvents(outbox: string, count = 1): void {
  parkedEvents().inc({ outbox }, count);
}
