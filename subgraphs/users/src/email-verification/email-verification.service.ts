import { BadUserInputError, requirePrincipal, UnauthenticatedError, validate } from '@shop/platform/core';
import type { RequestContext } from '@shop/platform/subgraph';
import { z } from 'zod';
import { type AuthService, currentPasswordSchema } from '../auth/auth.service.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { secretTokenHash } from '../auth/secret-token.js';
import { accountEmailSchema } from '../user/user.input.js';
import type { UserService } from '../user/user.service.js';
import { emailConfirmations } from './email-verification.metrics.js';
import { ExpiredLinksPurge } from './expired-links.purge.js';

export const INVALID_CONFIRMATION =
  'This email confirmation link is invalid, used or expired; sign in and ask for a new one';
const verifySchema = z.object({ token: z.string().min(1, 'is required').max(200) });
const changeSchema = z.object({ newEmail: accountEmailSchema, currentPassword: currentPasswordSchema });

/**
 * Email addresses proved by their owners: every new account is emailed a link (UserService writes
 * it with the account); whoever opens it confirms the address. A signed-in customer may ask for a
 * new link, or move the account to a new address, which is proved the same way; each new link voids
 * the one before.
 */
export class EmailVerificationService {
  private readonly expiredLinks = new ExpiredLinksPurge();

  constructor(
    private readonly users: UserService,
    private readonly auth: AuthService,
    private readonly throttle: AuthThrottle,
  ) {}

  /** Clears the links that expired unused, with the address a change would have moved to (ExpiredRecordsJob). */
  async purgeExpired(now: Date): Promise<{ emailLinks: number }> {
    return { emailLinks: await this.expiredLinks.run(now) };
  }

  /** Confirms the address whose current link carries this token: once, before the link expires. */
  async verify(ctx: RequestContext, token: unknown): Promise<boolean> {
    const data = validate(verifySchema, { token });
    const confirmed = await this.users.confirmEmail(secretTokenHash(data.token));
    if (!confirmed) {
      emailConfirmations.inc({ outcome: 'refused' });
      throw new BadUserInputError(INVALID_CONFIRMATION, [{ field: 'token', message: 'is invalid, used or expired' }]);
    }
    emailConfirmations.inc({ outcome: 'confirmed' });
    const userId = confirmed.user.id;
    ctx.log.info({ userId }, confirmed.changedFrom ? 'email address changed' : 'email address confirmed');
    return true;
  }

  /**
   * Emails the signed-in account a new link; false, and nothing sent, when its address is confirmed
   * already. Counted per account (TOO_MANY_REQUESTS past the limit).
   */
  async resend(ctx: RequestContext): Promise<boolean> {
    const principal = requirePrincipal(ctx.principal);
    const account = await this.users.findAccount(principal.id);
    if (!account) throw new UnauthenticatedError();
    if (account.user.emailVerified) return false;
    await this.throttle.emailVerification(account.user.email);
    // Not written: the account was erased meanwhile, and this token with it.
    if (!(await this.users.renewEmailVerification(account))) throw new UnauthenticatedError();
    ctx.log.info({ userId: account.user.id }, 'email confirmation link sent');
    return true;
  }

  /**
   * After the current password: emails `newEmail` a link that makes it the account's address once
   * opened, and tells the current address (UserService writes both with the pending change). The
   * requests of one account, and the links to one address, are counted (TOO_MANY_REQUESTS past the limit).
   */
  async requestChange(ctx: RequestContext, input: unknown): Promise<boolean> {
    const principal = requirePrincipal(ctx.principal);
    const data = validate(changeSchema, input);
    await this.throttle.emailChange(principal.id);
    const account = await this.auth.proveCurrentPassword(ctx, data.currentPassword);
    if (data.newEmail === account.user.email) {
      throw new BadUserInputError('That is the address of the account already', [
        { field: 'newEmail', message: 'is the current address' },
      ]);
    }
    // A registered address is refused before its links are counted: asking for it must not spend
    // the budget its owner's own confirmation links draw on.
    await this.users.assertEmailUnregistered(data.newEmail);
    await this.throttle.emailVerification(data.newEmail);
    // False: the password changed or every device was signed out meanwhile, this token with it.
    if (!(await this.users.requestEmailChange(account, data.newEmail))) throw new UnauthenticatedError();
    ctx.log.info({ userId: account.user.id }, 'email change asked: a link was sent to the new address');
    return true;
  }
}
