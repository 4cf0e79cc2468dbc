import { type Logger, validate } from '@shop/platform/core';
import { isDuplicateKeyError } from '@shop/platform/mongo';
import { z } from 'zod';
import { passwordHasher } from './password-hasher.js';
import { passwordPolicy } from './password-policy.js';
import { accountEmailSchema } from './user.input.js';
import { UserModel } from './user.model.js';
import { UserRole } from './user.type.js';

/** ADMIN_EMAIL belongs to an account that is not an admin: start-up stops instead of promoting it. */
export class AdminBootstrapError extends Error {
  constructor(email: string) {
    super(
      `ADMIN_EMAIL ${email} belongs to an existing account that is not an admin; it is never promoted at start-up. ` +
        "Set ADMIN_EMAIL to an address nobody has registered, or have an existing admin change that account's role.",
    );
  }
}

/**
 * Start-up: the admin of ADMIN_EMAIL / ADMIN_PASSWORD exists, when both are set. An address someone
 * registered as a customer stops the process with one line saying why, rather than promoting them,
 * while there is no admin yet. Once another admin exists, it is logged and start-up goes on: the
 * admin may have moved to another address, and whoever registered the old one must not be able to
 * keep the users service down.
 */
export async function ensureConfiguredAdmin(
  config: { ADMIN_EMAIL?: string | undefined; ADMIN_PASSWORD?: string | undefined },
  log: Logger,
): Promise<void> {
  if (!config.ADMIN_EMAIL || !config.ADMIN_PASSWORD) return;
  try {
    const outcome = await ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    // Made although other admins exist: the account was deleted, or its admin moved to another address
    // (or ADMIN_EMAIL was changed), and whoever holds ADMIN_PASSWORD, or reads that mailbox, is an admin.
    const email = accountEmailSchema.parse(config.ADMIN_EMAIL);
    if (outcome === 'created' && (await UserModel.exists({ role: UserRole.ADMIN, email: { $ne: email } }))) {
      log.warn(
        { alert: true, outcome },
        'an admin account was created for ADMIN_EMAIL while other admins exist; unset ADMIN_PASSWORD once the first admin exists',
      );
    } else log.info({ outcome }, 'admin account ensured');
  } catch (error) {
    if (!(error instanceof AdminBootstrapError)) throw error;
    if (await UserModel.exists({ role: UserRole.ADMIN })) {
      log.error(`${error.message} Starting anyway: another admin exists.`);
      return;
    }
    log.fatal(error.message);
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/**
 * Start-up bootstrap of the first admin from ADMIN_EMAIL / ADMIN_PASSWORD; idempotent. It creates
 * the account and never promotes one: an address someone already registered stays theirs, and
 * the process refuses to start (AdminBootstrapError) rather than hand them the ADMIN role.
 */
export async function ensureAdmin(adminEmail: string, adminPassword: string): Promise<'created' | 'exists'> {
  const data = validate(z.object({ email: accountEmailSchema, password: passwordPolicy }), {
    email: adminEmail,
    password: adminPassword,
  });
  const existing = async () => {
    const record = await UserModel.findOne({ email: data.email }).lean();
    if (!record) return false;
    if (record.role !== UserRole.ADMIN) throw new AdminBootstrapError(data.email);
    return true;
  };
  if (await existing()) return 'exists';
  const passwordHash = await passwordHasher.hash(data.password);
  try {
    await UserModel.create({
      email: data.email,
      passwordHash,
      firstName: 'Admin',
      lastName: 'Account',
      role: UserRole.ADMIN,
    });
    return 'created';
  } catch (error) {
    // Replicas starting together race on the insert (or someone registered just now): look again.
    if (isDuplicateKeyError(error) && (await existing())) return 'exists';
    throw error;
  }
}
