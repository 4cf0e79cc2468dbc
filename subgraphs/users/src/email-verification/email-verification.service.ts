import { BadUserInputError, requirePrincipal, UnauthenticatedError, validate } from '@shop/platform/core';
import type { RequestContext } from '@shop/platform/subgraph';
import { z } from 'zod';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { secretTokenHash } from '../auth/secret-token.js';
import type { UserService } from '../user/user.service.js';
import { emailConfirmations } from './email-verification.metrics.js';

export const INVALID_CONFIRMATION =
  'This email confirmation link is invalid, used or expired; sign in and ask for a new one';
const verifySchema = z.object({ token: z.string().min(1, 'is required').max(200) });

/**
 * Email addresses proved by their owners: every new account is emailed a link (UserService writes
 * it with the account); whoever opens it confirms the address. A signed-in customer may ask for a
 * new link, which voids the one before.
 */
export class EmailVerificationService {
  constructor(
    private readonly users: UserService,
    private readonly throttle: AuthThrottle,
  ) {}

  /** Confirms the address whose current link carries this token: once, before the link expires. */
  async verify(ctx: RequestContext, token: unknown): Promise<boolean> {
    const data = validate(verifySchema, { token });
    const user = await this.users.confirmEmail(secretTokenHash(data.token));
    if (!user) {
      emailConfirmations.inc({ outcome: 'refused' });
      throw new BadUserInputError(INVALID_CONFIRMATION, [{ field: 'token', message: 'is invalid, used or expired' }]);
    }
    emailConfirmations.inc({ outcome: 'confirmed' });
    ctx.log.info({ userId: user.id }, 'email address confirmed');
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
    await this.users.renewEmailVerification(account);
    ctx.log.info({ userId: account.user.id }, 'email confirmation link sent');
    return true;
  }
}
