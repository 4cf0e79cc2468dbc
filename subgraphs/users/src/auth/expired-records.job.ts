import { HOUR_MS, type Logger, PeriodicJob } from '@shop/platform/core';
import type { AuthService } from './auth.service.js';

/**
 * Removes ended sessions and login windows on the shared periodic schedule in every replica
 * (deletes are idempotent, so replicas need no coordination). A TTL index would do this on
 * MongoDB; FerretDB 1.x has none.
 */
export class ExpiredRecordsJob extends PeriodicJob {
  constructor(auth: AuthService, log: Logger, intervalMs = HOUR_MS) {
    super({
      name: 'purge of expired records',
      intervalMs,
      log,
      pass: async (now) => {
        const removed = await auth.purgeExpired(now);
        log.debug(removed, 'expired sessions and login windows removed');
      },
    });
  }
}
