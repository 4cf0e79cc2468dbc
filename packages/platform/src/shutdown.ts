import { Counter } from 'prom-client';
import type { Logger } from './logger.js';
import { metricOnFirstUse } from './metric-on-first-use.js';

export type Closer = () => Promise<void> | void;
/** One closer, or several that run at the same time (e.g. draining HTTP and message consumers together). */
export type ShutdownStep = Closer | Closer[];

/** Past this, the process exits 1; each step's own drain bound (HTTP, EventBus) is shorter. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * How long an HTTP server drains: answers in flight may finish, then every socket still open is
 * cut. A client that stops reading an answer keeps its socket half-closed until then, and Apollo's
 * own default (10 s) would have outlasted SHUTDOWN_TIMEOUT_MS, leaving no time for the steps after.
 */
export const HTTP_DRAIN_MS = 5_000;

/** Registered when a process installs its handlers, never on import. */
const unhandledErrors = () =>
  metricOnFirstUse(
    'process_unhandled_errors_total',
    (name) =>
      new Counter({
        name,
        help: 'Errors no code handled, by kind (unhandledRejection, uncaughtException): each one is a bug',
        labelNames: ['kind'] as const,
      }),
  );

/**
 * Runs the steps in order on SIGTERM/SIGINT (stop taking work and drain it first, then drop
 * connections), and exits non-zero if they do not finish in time.
 *
 * Also the process's last resort for errors no code handled. Each is logged (with the request id
 * of the async context it came from, see log-context) and counted in `process_unhandled_errors_total`.
 * A rejection leaves the process running: the promise's owner is gone, not the process's state. An
 * uncaught exception may have left state half-changed, so the process drains as on SIGTERM and exits 1.
 */
export function onShutdown(log: Logger, steps: ShutdownStep[]): void {
  let closing = false;
  let exitCode = 0;
  const run = async (close: Closer) => {
    try {
      await close();
    } catch (error) {
      log.error({ err: error }, 'error while shutting down');
    }
  };
  const shutdown = async (reason: string, code: number) => {
    exitCode = Math.max(exitCode, code);
    if (closing) return;
    closing = true;
    log.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    for (const step of steps) await Promise.all((Array.isArray(step) ? step : [step]).map(run));
    log.info('stopped');
    process.exit(exitCode);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));

  const counted = unhandledErrors();
  // Both series from the start: Prometheus' increase() does not count a series' first sample.
  for (const kind of ['unhandledRejection', 'uncaughtException']) counted.inc({ kind }, 0);
  process.on('unhandledRejection', (reason) => {
    counted.inc({ kind: 'unhandledRejection' });
    log.error({ err: reason }, 'unhandled promise rejection');
  });
  process.on('uncaughtException', (error) => {
    counted.inc({ kind: 'uncaughtException' });
    log.fatal({ err: error }, 'uncaught exception; shutting down');
    void shutdown('uncaughtException', 1);
  });
}

/**
 * A process's start-up, until it serves: if it fails, one log line says why and the process exits
 * 1. Left uncaught, a bundled process's error is printed after the bundle's minified source line,
 * and the container's log kept only that line's first 64 KiB (ci146: an orders replica's cause was
 * lost so). Its connections need no closing: nothing was served yet.
 */
export async function startOrExit<T>(log: Logger, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    log.fatal({ err: error }, 'start-up failed');
    log.flush(() => process.exit(1));
    return new Promise<never>(() => {});
  }
}
