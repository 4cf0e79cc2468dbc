import { Counter } from 'prom-client';
import { metricOnFirstUse } from './metric-on-first-use.js';

/**
 * Counts events the broker confirmed but could route to no queue: parked (kept aside, out of the
 * outbox, so the events after them go on) and logged at error by both relays, for an alert, by
 * outbox (a collection or a table). The counter is registered on first use.
 */
export function countParkedEvents(outbox: string, count = 1): void {
  const counter = metricOnFirstUse(
    'outbox_events_parked_total',
    (name) =>
      new Counter({
        name,
        help: 'Events no queue was bound for, parked aside instead of published (alert on any), by outbox',
        labelNames: ['outbox'] as const,
      }),
  );
  counter.inc({ outbox }, count);
}
