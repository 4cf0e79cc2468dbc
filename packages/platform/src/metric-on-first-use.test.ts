import { Counter, register } from 'prom-client';
import { describe, expect, it } from 'vitest';

// Every metric @shop/platform defines: none may exist before a process asks for it.
const PLATFORM_METRICS = [
  'http_request_duration_seconds',
  'graphql_operation_duration_seconds',
  'graphql_errors_total',
  'process_unhandled_errors_total',
  'outbox_events_parked_total',
  'outbox_pending_events',
  'mongodb_commands_total',
];

const registered = () => register.getMetricsAsArray().map((metric) => metric.name);

describe('metrics registered on first use', () => {
  it('registers none of the platform metrics when its entry points are imported', async () => {
    await Promise.all(
      ['core', 'http', 'mongo', 'subgraph', 'telemetry'].map((entry) => import(`./entries/${entry}.ts`)),
    );
    expect(registered().filter((name) => PLATFORM_METRICS.includes(name))).toEqual([]);
  });

  it('registers a metric when a process first asks for it, and gives every later caller the same one', async () => {
    const { httpMetrics, metricOnFirstUse } = await import('./entries/telemetry.js');
    httpMetrics();
    expect(registered()).toContain('http_request_duration_seconds');
    const create = (name: string) => new Counter({ name, help: 'a test counter' });
    const first = metricOnFirstUse('test_first_use_total', create);
    expect(metricOnFirstUse('test_first_use_total', create)).toBe(first);
  });
});
