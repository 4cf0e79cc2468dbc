import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@shop/platform/core';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';

/** A worker that dies this soon after starting is failing at start-up: the primary stops instead of looping. */
const MIN_UPTIME_MS = 5_000;

/**
 * The primary of `GATEWAY_WORKERS` gateway processes sharing one port (Node cluster: the primary
 * accepts connections and hands them out in turn). A worker that crashes is replaced. Each worker
 * is a whole gateway with its own subscription feed queue, so every worker sees every event. The
 * primary keeps the workers' register/login rate-limit counts (authRateLimitPlugin), so the limits
 * hold for the instance, not once per worker. A worker that exits unasked is counted in `metrics`
 * (`gateway_worker_exits_total`): its own crash count left with it, and the primary answers the
 * scrapes.
 * Returns the closer that stops the workers (SIGTERM, each shuts down gracefully).
 */
export function startGatewayCluster(workers: number, log: Logger, metrics: Registry): () => Promise<void> {
  new RateLimiterClusterMaster();
  const exits = new Counter({
    name: 'gateway_worker_exits_total',
    help: 'Gateway workers that exited unasked (a crash, an OOM kill), each replaced by a new one',
    registers: [metrics],
  });
  let stopping = false;
  const fork = () => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    worker.once('online', () => log.info({ worker: worker.id, pid: worker.process.pid }, 'gateway worker started'));
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'gateway worker exited');
      exits.inc();
      if (Date.now() - startedAt < MIN_UPTIME_MS) {
        log.error('gateway worker failed at start-up: stopping');
        process.exit(1);
      }
      fork();
    });
  };
  for (let i = 0; i < workers; i++) fork();
  log.info({ workers }, 'gateway cluster started');
  return async () => {
    stopping = true;
    const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker);
    await Promise.all(
      running.map(
        (worker) =>
          new Promise<void>((done) => {
            if (worker.isDead()) return done();
            worker.once('exit', (code, signal) => {
              if (code !== 0) log.error({ worker: worker.id, code, signal }, 'gateway worker did not stop cleanly');
              done();
            });
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  };
}
