import { describe, expect, it } from 'vitest';
import { metricsRegistry } from './metrics.js';
import { stateGauge } from './state-gauge.js';
import { metricValue } from './testing.js';

describe('stateGauge', () => {
  it('counts at each scrape, per label value, keeps the last figure when a count fails, and registers once', async () => {
    let owed = 3;
    let failing = false;
    const count = async () => {
      if (failing) throw new Error('database unreachable');
      return owed;
    };
    stateGauge('test_state_owed', 'test', { count });
    stateGauge('test_state_by_kind', 'test', { label: 'kind', counts: { a: count, b: async () => 7 } });
    stateGauge('test_state_two_failing', 'test', { label: 'kind', counts: { a: count, b: count } });
    const scrape = async () => metricsRegistry.metrics();
    expect(metricValue(await scrape(), 'test_state_owed')).toBe(3);
    const failures = async () =>
      metricValue(await scrape(), 'state_gauge_count_failures_total', { gauge: 'test_state_owed' });
    expect(await failures()).toBe(0);
    owed = 1;
    expect(metricValue(await scrape(), 'test_state_owed')).toBe(1);
    expect(metricValue(await scrape(), 'test_state_by_kind', { kind: 'a' })).toBe(1);
    expect(metricValue(await scrape(), 'test_state_by_kind', { kind: 'b' })).toBe(7);
    failing = true;
    owed = 9;
    expect(metricValue(await scrape(), 'test_state_owed')).toBe(1);
    // Each scrape that kept the last figure is counted (StateGaugeStale), seen from the next scrape
    // on (the counter is read while the gauges count).
    expect(await failures()).toBe(1);
    expect(await failures()).toBe(2);
    // Once per scrape, not once per label whose count failed.
    expect(metricValue(await scrape(), 'state_gauge_count_failures_total', { gauge: 'test_state_two_failing' })).toBe(
      3,
    );
    // A second call (another replica's wiring in the same process, a test) keeps the first gauge.
    failing = false;
    stateGauge('test_state_owed', 'test', { count: async () => 42 });
    expect(metricValue(await scrape(), 'test_state_owed')).toBe(9);
  });

  it('answers the scrape when a count never returns, keeping its last figure', async () => {
    let answering = true;
    stateGauge('test_state_stuck', 'test', {
      label: 'kind',
      counts: { stuck: () => (answering ? Promise.resolve(4) : new Promise<number>(() => {})), live: async () => 2 },
    });
    expect(metricValue(await metricsRegistry.metrics(), 'test_state_stuck', { kind: 'stuck' })).toBe(4);
    answering = false;
    // Without a limit this scrape never answers (the test times out).
    const scrape = await metricsRegistry.metrics();
    expect(metricValue(scrape, 'test_state_stuck', { kind: 'stuck' })).toBe(4);
    expect(metricValue(scrape, 'test_state_stuck', { kind: 'live' })).toBe(2);
    const next = await metricsRegistry.metrics();
    expect(metricValue(next, 'state_gauge_count_failures_total', { gauge: 'test_state_stuck' })).toBe(1);
  }, 15_000);
});
