import { Counter, register } from 'prom-client';

const PARKED = 'outbox_events_parked_total';

/**
 * Counts events the broker confirmed but could route to no queue: parked (kept aside, out of the
 * outbox, so the events after them go on) and logged at error by both relays, for an alert, by
 * outbox (a collection or a table). The counter is registered on first use.
 */
export function countParkedEvents(outbox: string, count = 1): void {
  const counter =
    (register.getSingleMetric(PARKED) as Counter<'outbox'> | undefined) ??
    new Counter({
      name: PARKED,
      help: 'Events no queue was bound for, parked aside instead of published (alert on any), by outbox',
      labelNames: ['outbox'] as const,
    });
  counter.inc({ outbox }, count);
}
