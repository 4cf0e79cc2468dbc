import type { Logger } from '@shop/platform/core';
import { AdminBootstrapError, type UserService } from './user.service.js';

/**
 * Start-up: the admin of ADMIN_EMAIL / ADMIN_PASSWORD exists, when both are set. An address someone
 * registered as a customer stops the process with one line saying why, rather than promoting them.
 */
export async function ensureConfiguredAdmin(
  users: UserService,
  config: { ADMIN_EMAIL?: string | undefined; ADMIN_PASSWORD?: string | undefined },
  log: Logger,
): Promise<void> {
  if (!config.ADMIN_EMAIL || !config.ADMIN_PASSWORD) return;
  const outcome = await users.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD).catch((error) => {
    if (!(error instanceof AdminBootstrapError)) throw error;
    log.fatal(error.message);
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
  log.info({ outcome }, 'admin account ensured');
}
