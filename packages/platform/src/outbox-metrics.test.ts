import { describe, expect, it } from 'vitest';
import { metricsRegistry } from './metrics.js';
import { countParkedEvents, reportOutbox } from './outbox-metrics.js';
import { metricValue } from './testing.js';

describe('an outbox reported by its relay', () => {
  it('serves its backlog at each scrape, and its parked events counted from 0', async () => {
    let waiting = 7;
    reportOutbox('outbox_metrics_test', async () => waiting);
    const scrape = await metricsRegistry.metrics();
    expect(metricValue(scrape, 'outbox_pending_events', { collection: 'outbox_metrics_test' })).toBe(7);
    // At 0 before any park: Prometheus' increase() does not count a series' first sample.
    expect(scrape).toMatch(/^outbox_events_parked_total\{[^}]*outbox="outbox_metrics_test"[^}]*\} 0$/m);

    waiting = 2;
    countParkedEvents('outbox_metrics_test');
    const later = await metricsRegistry.metrics();
    expect(metricValue(later, 'outbox_pending_events', { collection: 'outbox_metrics_test' })).toBe(2);
    expect(metricValue(later, 'outbox_events_parked_total', { outbox: 'outbox_metrics_test' })).toBe(1);
  });
});
