import type { Logger } from './logger.js';
import { PeriodicJob } from './periodic-job.js';

/** An outbox relay's schedule: the shared periodic job, kicked right after each write. */
export class RelayLoop extends PeriodicJob {
  constructor(pass: () => Promise<void>, log: Logger, intervalMs: number, name = 'outbox relay') {
    super({ name, intervalMs, log, pass: () => pass() });
  }
}
