import { type Logger, PeriodicJob } from '@shop/platform/core';
import type { NotificationService } from './notification.service.js';

/** How often the accounts deleted lately are forgotten again (NotificationService.forgetRecentAgain). */
export const FORGET_AGAIN_INTERVAL_MS = 5 * 60_000;

/**
 * What a send in flight at an account's deletion recorded after its notifications were forgotten,
 * removed on the shared periodic schedule in every replica (deletes are idempotent).
 */
export class ForgetAgainJob extends PeriodicJob<number> {
  constructor(notifications: NotificationService, log: Logger, intervalMs = FORGET_AGAIN_INTERVAL_MS) {
    super({
      name: 'forgetting deleted accounts again',
      intervalMs,
      log,
      pass: async (now) => {
        const deleted = await notifications.forgetRecentAgain(now);
        if (deleted > 0) log.info({ deleted }, 'notifications recorded after their account was forgotten removed');
        return deleted;
      },
    });
  }
}
