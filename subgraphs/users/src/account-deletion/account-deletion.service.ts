import {
  ConflictError,
  NotFoundError,
  requirePrincipal,
  requireRole,
  UnauthenticatedError,
  validate,
} from '@shop/platform/core';
import type { RequestContext } from '@shop/platform/subgraph';
import { z } from 'zod';
import { type AuthService, currentPasswordSchema } from '../auth/auth.service.js';
import { newSecretToken } from '../auth/secret-token.js';
import type { PasswordResetService } from '../password-reset/password-reset.service.js';
import { passwordHasher } from '../user/password-hasher.js';
import type { Account, UserService } from '../user/user.service.js';

const deleteSchema = z.object({ currentPassword: currentPasswordSchema });

/**
 * A customer deletes their own account (app stores require it of apps with sign-up; privacy law
 * gives the right): after the current password, what the account says about its owner is erased
 * and every token and session ends; an admin does it for a customer who asks the shop (support,
 * a privacy request). Orders and payments stay, as the shop's accounting records, naming the
 * anonymous account.
 */
export class AccountDeletionService {
  constructor(
    private readonly users: UserService,
    private readonly auth: AuthService,
    private readonly passwordResets: PasswordResetService,
  ) {}

  async deleteMe(ctx: RequestContext, currentPassword: unknown): Promise<boolean> {
    requirePrincipal(ctx.principal);
    const data = validate(deleteSchema, { currentPassword });
    const account = await this.auth.proveCurrentPassword(ctx, data.currentPassword);
    // The account's role, not the token's: a token issued before a promotion passes the gateway's
    // revocation check for as long as it caches token versions.
    if (account.user.role === 'ADMIN') {
      // The last admin must not vanish by mistake, as with setUserRole.
      throw new ConflictError('An admin account is not deleted; have another admin make it a customer first');
    }
    // Null: the password changed or every device was signed out meanwhile, this token with it.
    if (!(await this.erase(ctx, account))) throw new UnauthenticatedError();
    ctx.log.info({ userId: account.user.id }, 'account deleted: personal data erased, every session ended');
    return true;
  }

  /**
   * Admins only: a customer's account, deleted as if its owner had (an admin's is CONFLICT, as
   * with deleteMe). One deleted already stays as it is; true either way.
   */
  async deleteUser(ctx: RequestContext, id: string): Promise<boolean> {
    const principal = requireRole(ctx.principal, 'ADMIN');
    const account = await this.users.findAccount(id);
    if (!account) throw new NotFoundError('User', id);
    if (account.user.deletedAt) return true;
    if (account.user.role === 'ADMIN') {
      throw new ConflictError('An admin account is not deleted; make it a customer first');
    }
    // Null: the account changed meanwhile (a password, a sign-out everywhere): asked again, it is erased.
    if (!(await this.erase(ctx, account))) throw new ConflictError('The account changed meanwhile; try again');
    ctx.log.info({ userId: id, by: principal.id }, 'account deleted by an admin: personal data erased');
    return true;
  }

  // A hash of a password nobody knows: the account can never sign in, and a login still costs a verification.
  private async erase(ctx: RequestContext, account: Account): Promise<boolean> {
    if (!(await this.users.eraseAccount(account, await passwordHasher.hash(newSecretToken())))) return false;
    // Void already (the erasure moved the token version); they still name the address, and may hold
    // the reset email not sent yet. Not deleted (a failure, a crash), they expire and are purged.
    await this.passwordResets.forget(account.user.id).catch((error: unknown) => {
      ctx.log.warn({ err: error, userId: account.user.id }, 'reset links of an erased account left to expire');
    });
    return true;
  }
}
