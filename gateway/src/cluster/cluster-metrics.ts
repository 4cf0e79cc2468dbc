import { AggregatorRegistry } from 'prom-client';
import type { MetricsSource } from '../metrics/metrics-server.js';

/**
 * The whole clustered gateway's metrics, served by the primary: it asks every worker for its
 * registry over the cluster IPC channel and merges them (counters, histograms and gauges summed;
 * Node's process metrics by prom-client's own rules).
 */
export function clusterMetrics(): MetricsSource {
  const registry = new AggregatorRegistry();
  return { contentType: registry.contentType, metrics: () => registry.clusterMetrics() };
}

/** In a worker, before anything else: constructing the registry makes this process answer the primary's requests. */
export function answerClusterMetrics(): void {
  new AggregatorRegistry();
}
