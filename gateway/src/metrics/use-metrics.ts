import { collectProcessMetrics, httpMetrics } from '@shop/platform/telemetry';
import type { Express } from 'express';

/**
 * HTTP timing for every request (mounted first). GraphQL operation metrics come from
 * graphqlMetricsPlugin, subgraph fetches from ForwardingDataSource, subscriptions from
 * countSubscriptions. `/metrics` is not served on this public app but on its own listener
 * (metrics-server.ts, started by main.ts).
 */
export function useMetrics(app: Express): void {
  collectProcessMetrics('gateway');
  app.use(httpMetrics());
}
