import { notificationEmail } from '@shop/events';
import { UnauthenticatedError, validate } from '@shop/platform/core';
import { ClaimBusyError, EffectClaims, type OutboxWakeUp } from '@shop/platform/mongo';
import type { RequestContext } from '@shop/platform/subgraph';
import { z } from 'zod';
import type { AuthResult, AuthService } from '../auth/auth.service.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { ExpiredRecordsPurge } from '../auth/expired-records.purge.js';
import { expiringAt } from '../auth/expiring-record.model.js';
import { newSecretToken, secretTokenHash } from '../auth/secret-token.js';
import { emailWording } from '../user/email-wording.js';
import { passwordHasher } from '../user/password-hasher.js';
import { passwordPolicy } from '../user/password-policy.js';
import { emailSchema } from '../user/user.input.js';
import type { UserService } from '../user/user.service.js';
import { passwordResetRequests, passwordResets } from './password-reset.metrics.js';
import { PasswordResetModel, type PasswordResetRecord } from './password-reset.model.js';

export interface PasswordResetSettings {
  /** The page the emailed link opens; the token follows as `#token=…`. */
  PASSWORD_RESET_URL: string;
  /** How long a link works, in milliseconds. */
  PASSWORD_RESET_TTL: number;
}

const requestSchema = z.object({ email: emailSchema });
const resetSchema = z.object({ token: z.string().min(1, 'is required').max(200), newPassword: passwordPolicy });

/**
 * Once per link across replicas (a unique insert per link). A reset holds its link this long before
 * another try may take it over: only a process that died mid-reset leaves it so. Made on import,
 * like the subgraph's models, so that connecting builds its collection's index before the first request.
 */
const resetClaims = new EffectClaims(60_000);

/** The link's token is the credential of a reset, as a refresh token is of a session: one that does not work is UNAUTHENTICATED. */
const invalidLink = () => {
  passwordResets.inc({ outcome: 'refused' });
  return new UnauthenticatedError(INVALID_LINK);
};
export const INVALID_LINK = 'This password reset link is invalid, used or expired; ask for a new one';

/**
 * Forgotten passwords: a link by email, then a new password from it. The link's token is 256
 * random bits, kept only as its hash; it works once, before it expires, and only while the
 * account's token version is the one it was sent under (so any reset, password change or logout
 * everywhere voids every link sent before) and its address the one it was mailed to.
 */
export class PasswordResetService {
  private readonly purge = new ExpiredRecordsPurge(PasswordResetModel);

  /** `outbox`: the relay's wake-up (main.ts); without it (tests), the emails wait in their documents for a sweep. */
  constructor(
    private readonly users: UserService,
    private readonly auth: AuthService,
    private readonly throttle: AuthThrottle,
    private readonly settings: PasswordResetSettings,
    private readonly outbox?: OutboxWakeUp,
  ) {}

  /**
   * Emails a reset link to the account of `email`, when there is one, and answers true either way:
   * the answer never tells whether an address has an account. Counted per client address and per
   * email before anything is read, so nobody can fill a mailbox with links. The link and its email
   * are one insert (the email waits in the link's own outbox), so neither exists without the other.
   * An address without an account gets one insert too, of a link no email carries (so nobody can
   * ever present its token), which expires like the others: the answer takes as long either way,
   * so its time does not tell either (BENCHMARKS.md, "Password reset requests").
   */
  async request(ctx: RequestContext, email: unknown): Promise<boolean> {
    const data = validate(requestSchema, { email });
    await this.throttle.passwordReset(data.email, ctx.clientIp).catch((refusal: unknown) => {
      passwordResetRequests.inc({ outcome: 'limited' });
      throw refusal;
    });
    const account = await this.users.findAccountByEmail(data.email);
    const token = newSecretToken();
    const requestedAt = new Date();
    const expiry = expiringAt(new Date(requestedAt.getTime() + this.settings.PASSWORD_RESET_TTL));
    if (!account) {
      await PasswordResetModel.create({ _id: secretTokenHash(token), requestedAt, ...expiry });
      ctx.log.info({ clientIp: ctx.clientIp }, 'password reset asked for an address without an account');
      passwordResetRequests.inc({ outcome: 'decoy' });
      return true;
    }
    const { user, tokenVersion } = account;
    const resetEmail = notificationEmail.create({
      userId: user.id,
      to: user.email,
      subject: 'Reset your password',
      body: this.body(token),
      confidential: true,
      sendBy: expiry.expiresAt.toISOString(),
    });
    const link = await PasswordResetModel.create({
      _id: secretTokenHash(token),
      userId: user.id,
      tokenVersion,
      sentTo: user.email,
      requestedAt,
      ...expiry,
      pendingEvents: [resetEmail],
    });
    this.outbox?.kick({ model: PasswordResetModel, id: link._id, pendingEvents: link.toObject().pendingEvents });
    ctx.log.info({ userId: user.id }, 'password reset link sent');
    passwordResetRequests.inc({ outcome: 'sent' });
    return true;
  }

  /**
   * A new password from a link's token. Every session and access token of the account ends, and the
   * answer signs this device in. A link that does not work costs one read and no password hash.
   */
  async reset(ctx: RequestContext, input: unknown): Promise<AuthResult> {
    const data = validate(resetSchema, input);
    const id = secretTokenHash(data.token);
    const link = await PasswordResetModel.findById(id).lean<PasswordResetRecord>();
    // A decoy has no user: it never works.
    const userId = link && link.expiresAt > new Date() ? link.userId : undefined;
    const account = userId ? await this.users.findAccount(userId) : null;
    const current = account && account.tokenVersion === link?.tokenVersion && account.user.email === link.sentTo;
    if (!userId || !current) throw invalidLink();
    // Of two tries at once, one sets the password.
    const outcome = await resetClaims
      .perform(`password-reset:${id}`, async () => {
        const changed = await this.users.setPasswordHash(account, await passwordHasher.hash(data.newPassword), 'reset');
        if (!changed) throw invalidLink();
        return changed;
      })
      .catch((error: unknown) => {
        throw error instanceof ClaimBusyError ? invalidLink() : error;
      });
    if (outcome.state === 'settled') throw invalidLink();
    await resetClaims.settle(outcome.claim);
    ctx.log.info({ userId }, 'password reset: every session ended');
    passwordResets.inc({ outcome: 'done' });
    return this.auth.signIn(outcome.value);
  }

  /**
   * Internal (AccountDeletionService): an erased account's links, which name the address they were
   * sent to. It reads every link not purged yet (they live PASSWORD_RESET_TTL), on a deletion only:
   * an index on userId would cost every reset request a write for it.
   */
  async forget(userId: string): Promise<void> {
    await PasswordResetModel.deleteMany({ userId });
  }

  /** Housekeeping for the purge job: links past their expiry. */
  async purgeExpired(now: Date): Promise<{ passwordResets: number }> {
    return { passwordResets: await this.purge.run(now) };
  }

  private body(token: string): string {
    return [
      'Someone, we hope you, asked to reset the password of your shop account.',
      '',
      `Choose a new password within ${emailWording.lifetime(this.settings.PASSWORD_RESET_TTL)} here:`,
      `${this.settings.PASSWORD_RESET_URL}#token=${token}`,
      '',
      'The link works once. If you did not ask, ignore this email: your password stays as it is.',
    ].join('\n');
  }
}
