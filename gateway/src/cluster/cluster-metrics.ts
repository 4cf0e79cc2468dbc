import cluster, { type Worker } from 'node:cluster';
import { withinLimit } from '@shop/platform/core';
import { metricsRegistry } from '@shop/platform/telemetry';
import { AggregatorRegistry, Gauge, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import type { MetricsSource } from '../metrics/metrics-server.js';

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

const ASK = 'gateway-metrics:ask';
const ANSWER = 'gateway-metrics:answer';
/** A worker that has not answered by then (busy, still loading) is summed from its last answer. */
const ANSWER_WITHIN_MS = 1_000;
/**
 * A worker silent this long is hung, not busy: the scrape fails (503), as it did with prom-client's
 * aggregation, so `up` goes to 0 and TargetDown pages rather than the worker's last figures being
 * served for ever.
 */
const SILENT_FOR_MS = 30_000;

/**
 * The whole clustered gateway's metrics, served by the primary: it asks every worker for its
 * registry over the cluster IPC channel and sums them with prom-client's aggregator (Node's process
 * metrics by prom-client's own rules), then adds the primary's own (`own`: what only it sees, such
 * as workers that exited).
 *
 * Not prom-client's `clusterMetrics()`, for two reasons. It forgets a worker that exited, so every
 * summed counter goes down and Prometheus reads a counter reset: `increase()` then counts the
 * survivors' totals again (a false UnhandledErrors page). Here an exited worker's counters and
 * histograms stay in the sum as it last reported them. And it fails the whole scrape when a worker
 * is slow to answer once (busy, or still loading); here that worker counts with its last answer
 * (nothing before its first), until it has been silent for SILENT_FOR_MS.
 */
export function clusterMetrics(): MetricsSource & { own: Registry } {
  const own = new Registry();
  own.setDefaultLabels({ service: 'gateway' });
  // The merge leaves out the workers' start times: the primary's is the process's (ProcessRestarted).
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds',
    registers: [own],
  }).set(Math.round(Date.now() / 1000 - process.uptime()));

  const lastAnswers = new Map<number, Metrics>();
  /** Since when each live worker has left every request unanswered (none: it answered the last). */
  const silentSince = new Map<number, number>();
  // Node may report a worker's exit before its channel closes: an answer read after it is not kept.
  const gone = new Set<number>();
  // The exited workers' counters, one list per worker until a scrape sums them into one.
  let exited: Metrics[] = [];
  cluster.on('exit', (worker) => {
    gone.add(worker.id);
    silentSince.delete(worker.id);
    const last = lastAnswers.get(worker.id);
    lastAnswers.delete(worker.id);
    if (last) exited = [...exited, last.filter(keptAfterExit)];
  });
  const answering = answers();
  let asked = 0;
  const ask = async (worker: Worker) => {
    const askedAt = Date.now();
    const metrics = await answering.next(worker, ++asked);
    if (gone.has(worker.id) || worker.isDead()) return;
    if (!metrics) {
      if (!silentSince.has(worker.id)) silentSince.set(worker.id, askedAt);
      return;
    }
    lastAnswers.set(worker.id, metrics);
    silentSince.delete(worker.id);
  };

  return {
    own,
    contentType: own.contentType,
    metrics: async () => {
      await Promise.all(Object.values(cluster.workers ?? {}).flatMap((worker) => (worker ? [ask(worker)] : [])));
      for (const [id, at] of silentSince) {
        if (Date.now() - at > SILENT_FOR_MS)
          throw new Error(`gateway worker ${id} has not answered for ${SILENT_FOR_MS} ms`);
      }
      const summed = exited;
      if (summed.length > 1) {
        const one = await AggregatorRegistry.aggregate(summed).getMetricsAsJSON();
        // Unless a worker exited meanwhile: then the next scrape sums them.
        if (exited === summed) exited = [one];
      }
      const workers = AggregatorRegistry.aggregate([...exited, ...lastAnswers.values()]);
      return `${await workers.metrics()}\n${await own.metrics()}`;
    },
  };
}

/** In a worker, before anything else: answers the primary's requests for this process's metrics. */
export function answerClusterMetrics(): void {
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type !== ASK) return;
    // A registry that fails to collect sends nothing: the primary sums the last answer.
    metricsRegistry.getMetricsAsJSON().then(
      // Not after the channel closed (the worker stopping), and a failed send is no crash: the
      // primary sums the last answer.
      (metrics) =>
        process.connected && process.send?.({ type: ANSWER, id: message.id, metrics }, undefined, {}, () => {}),
      () => undefined,
    );
  });
}

/** What stays summed of a worker that exited: what only goes up (a gauge left with its process). */
function keptAfterExit(metric: Metrics[number]): boolean {
  // prom-client types `type` as an enum; it is the type's name at run time.
  const type = String(metric.type);
  return (type === 'counter' || type === 'histogram') && (metric.aggregator ?? 'sum') === 'sum';
}

/** The primary's side of the exchange: `next` asks a worker and waits a bounded time for its answer. */
function answers() {
  const waiting = new Map<number, (metrics: Metrics) => void>();
  cluster.on('message', (_worker, message: { type?: string; id?: number; metrics?: Metrics }) => {
    if (message?.type === ANSWER && message.id !== undefined && message.metrics) {
      waiting.get(message.id)?.(message.metrics);
    }
  });
  return {
    next: async (worker: Worker, id: number): Promise<Metrics | undefined> => {
      if (!worker.isConnected()) return undefined;
      const answer = new Promise<Metrics | undefined>((resolve) => {
        waiting.set(id, resolve);
        // With a callback: a channel that broke (the worker just died) is an error there, not an
        // 'error' event nobody listens to, which would crash the primary.
        worker.send({ type: ASK, id }, (error) => error && resolve(undefined));
      });
      return withinLimit(answer, ANSWER_WITHIN_MS)
        .catch(() => undefined)
        .finally(() => waiting.delete(id));
    },
  };
}
