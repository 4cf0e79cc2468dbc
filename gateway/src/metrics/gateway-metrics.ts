import { Counter, Gauge, Histogram } from 'prom-client';
import type { SubscriptionStats } from '../subscriptions/use-subscriptions.js';

export const subgraphFetchDuration = new Histogram({
  name: 'gateway_subgraph_fetch_duration_seconds',
  help: 'Fetches the gateway made to subgraphs, by subgraph and outcome',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const subgraphRetries = new Counter({
  name: 'gateway_subgraph_retries_total',
  help: 'Subgraph queries that found no subgraph to answer them: retried (sent) or not (over_budget)',
  labelNames: ['outcome'] as const,
});

export const subgraphCircuitOpen = new Gauge({
  name: 'gateway_subgraph_circuit_open',
  help: "1 while a subgraph's circuit is open (its calls refused without a request) or probing, 0 once closed",
  labelNames: ['subgraph'] as const,
});

export const subgraphCircuitRejections = new Counter({
  name: 'gateway_subgraph_circuit_rejections_total',
  help: 'Subgraph calls refused by an open circuit, answered SERVICE_UNAVAILABLE without a request',
  labelNames: ['subgraph'] as const,
});

/** Every gateway of this process (tests run several); each adds its stats while it runs. */
const subscriptionSources = new Set<() => SubscriptionStats>();

/**
 * Counts a gateway's subscriptions and connections in the gauges below until the returned unhook.
 * Called once its subscriptions server exists: a scrape may come at any time, even during start-up.
 */
export function countSubscriptions(stats: () => SubscriptionStats): () => void {
  subscriptionSources.add(stats);
  return () => subscriptionSources.delete(stats);
}

function total(pick: (stats: SubscriptionStats) => number): number {
  let sum = 0;
  for (const stats of subscriptionSources) sum += pick(stats());
  return sum;
}

new Gauge({
  name: 'gateway_active_subscriptions',
  help: 'GraphQL subscriptions open on this gateway',
  collect() {
    this.set(total((stats) => stats.subscriptions));
  },
});

new Gauge({
  name: 'gateway_subscription_watches',
  help: 'Shared subscription watches open on this gateway: subscribers of one id with the same token, document and variables share one, with one execution per event',
  collect() {
    this.set(total((stats) => stats.feedListeners));
  },
});

new Gauge({
  name: 'gateway_websocket_connections',
  help: 'graphql-ws connections open on this gateway',
  collect() {
    this.set(total((stats) => stats.connections));
  },
});
