import type { Logger } from './logger.js';

export type Closer = () => Promise<void> | void;

const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Runs the closers in order on SIGTERM/SIGINT (stop accepting work first, then drop
 * connections), and exits non-zero if they do not finish in time.
 */
export function onShutdown(log: Logger, closers: Closer[]): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    for (const close of closers) {
      try {
        await close();
      } catch (error) {
        log.error({ err: error }, 'error while shutting down');
      }
    }
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
