import { collectProcessMetrics, httpMetrics } from '@shop/platform/telemetry';
import type { Express } from 'express';
import type { SubscriptionStats } from '../subscriptions/use-subscriptions.js';
import { subscriptionSources } from './gateway-metrics.js';

/**
 * HTTP timing for every request (mounted first). GraphQL operation metrics come from
 * graphqlMetricsPlugin, subgraph fetches from ForwardingDataSource. `/metrics` is not served on
 * this public app but on its own listener (metrics-server.ts, started by main.ts). Returns the unhook.
 */
export function useMetrics(app: Express, subscriptionStats: () => SubscriptionStats): () => void {
  collectProcessMetrics('gateway');
  app.use(httpMetrics());
  subscriptionSources.add(subscriptionStats);
  return () => subscriptionSources.delete(subscriptionStats);
}
