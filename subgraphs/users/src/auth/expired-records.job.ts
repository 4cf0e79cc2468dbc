import { type Logger, runPeriodic } from '@shop/platform';
import type { AuthService } from './auth.service.js';

const HOUR_MS = 3_600_000;

/**
 * Removes ended sessions and login windows on a timer in every replica (deletes are idempotent,
 * so replicas need no coordination). A TTL index would do this on MongoDB; FerretDB 1.x has none.
 */
export class ExpiredRecordsJob {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly auth: AuthService,
    private readonly log: Logger,
    private readonly intervalMs = HOUR_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void runPeriodic(() => this.runOnce()), this.intervalMs);
    this.timer.unref();
  }

  async runOnce(now = new Date()): Promise<void> {
    try {
      const removed = await this.auth.purgeExpired(now);
      this.log.debug(removed, 'expired sessions and login windows removed');
    } catch (error) {
      this.log.warn({ err: error }, 'purge of expired records failed; the next run retries');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
