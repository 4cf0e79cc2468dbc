import type { Logger } from './logger.js';

export type Closer = () => Promise<void> | void;
/** One closer, or several that run at the same time (e.g. draining HTTP and message consumers together). */
export type ShutdownStep = Closer | Closer[];

/** Past this, the process exits 1; each step's own drain bound (HTTP, EventBus) is shorter. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Runs the steps in order on SIGTERM/SIGINT (stop taking work and drain it first, then drop
 * connections), and exits non-zero if they do not finish in time.
 */
export function onShutdown(log: Logger, steps: ShutdownStep[]): void {
  let closing = false;
  const run = async (close: Closer) => {
    try {
      await close();
    } catch (error) {
      log.error({ err: error }, 'error while shutting down');
    }
  };
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    for (const step of steps) await Promise.all((Array.isArray(step) ? step : [step]).map(run));
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
