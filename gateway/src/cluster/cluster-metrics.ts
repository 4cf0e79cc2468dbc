import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import type { MetricsSource } from '../metrics/metrics-server.js';

/**
 * The whole clustered gateway's metrics, served by the primary: it asks every worker for its
 * registry over the cluster IPC channel and merges them (counters, histograms and gauges summed;
 * Node's process metrics by prom-client's own rules), then adds the primary's own (`own`: what only
 * it sees, such as workers that exited).
 */
export function clusterMetrics(): MetricsSource & { own: Registry } {
  const registry = new AggregatorRegistry();
  const own = new Registry();
  own.setDefaultLabels({ service: 'gateway' });
  // The merge leaves out the workers' start times: the primary's is the process's (ProcessRestarted).
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds',
    registers: [own],
  }).set(Math.round(Date.now() / 1000 - process.uptime()));
  return {
    own,
    contentType: registry.contentType,
    metrics: async () => `${await registry.clusterMetrics()}\n${await own.metrics()}`,
  };
}

/** In a worker, before anything else: constructing the registry makes this process answer the primary's requests. */
export function answerClusterMetrics(): void {
  new AggregatorRegistry();
}
