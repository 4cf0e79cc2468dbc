import { HOUR_MS, type Logger, PeriodicJob } from '@shop/platform/core';

/** What holds expiring records: ended sessions, login windows, password reset links, email confirmation links. */
export interface ExpiringRecords {
  purgeExpired(now: Date): Promise<Record<string, number>>;
}

/**
 * Removes ended sessions, login windows, expired password reset links and expired email
 * confirmation links on the shared periodic schedule in every replica (each removal is idempotent,
 * so replicas need no coordination). A TTL index would do most of this on MongoDB; FerretDB 1.x has none.
 */
export class ExpiredRecordsJob extends PeriodicJob {
  constructor(holders: ExpiringRecords[], log: Logger, intervalMs = HOUR_MS) {
    super({
      name: 'purge of expired records',
      intervalMs,
      log,
      pass: async (now) => {
        const removed = {};
        for (const holder of holders) Object.assign(removed, await holder.purgeExpired(now));
        log.debug(removed, 'expired records removed');
      },
    });
  }
}
