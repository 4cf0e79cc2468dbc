import { collectProcessMetrics, httpMetrics, metricsRouter } from '@shop/platform';
import type { Express } from 'express';
import type { SubscriptionStats } from '../subscriptions/use-subscriptions.js';
import { subscriptionSources } from './gateway-metrics.js';

/**
 * `/metrics` and HTTP timing for every request (mounted first). GraphQL operation metrics come
 * from graphqlMetricsPlugin, subgraph fetches from ForwardingDataSource. Returns the unhook.
 */
export function useMetrics(app: Express, subscriptionStats: () => SubscriptionStats): () => void {
  collectProcessMetrics('gateway');
  app.use(httpMetrics(), metricsRouter());
  subscriptionSources.add(subscriptionStats);
  return () => subscriptionSources.delete(subscriptionStats);
}
