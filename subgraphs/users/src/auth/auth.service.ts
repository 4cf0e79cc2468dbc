import {
  BadUserInputError,
  requirePrincipal,
  type TokenService,
  UnauthenticatedError,
  validate,
} from '@shop/platform/core';
import { type RequestContext } from '@shop/platform/subgraph';
import { z } from 'zod';
import { passwordHasher } from '../user/password-hasher.js';
import { passwordPolicy } from '../user/password-policy.js';
import { emailSchema, registerSchema } from '../user/user.input.js';
import type { Account, UserService } from '../user/user.service.js';
import type { User } from '../user/user.type.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { RefreshTokenStore } from './refresh-token.store.js';

/**
 * A password given to be checked (a login's, or the current one before a change): only bounded, not
 * held to the policy, so that the answer never tells which rule a password breaks.
 */
export const currentPasswordSchema = z.string().min(1, 'is required').max(128);
const loginSchema = z.object({ email: emailSchema, password: currentPasswordSchema });
const opaqueToken = z.string().min(1, 'is required').max(200);
const changePasswordSchema = z.object({
  currentPassword: currentPasswordSchema,
  newPassword: passwordPolicy,
});

export interface AuthResult {
  token: string;
  refreshToken: string;
  user: User;
}

/** Credentials and sessions: register, login, refresh, logout, password change. */
export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly sessions: RefreshTokenStore,
    private readonly throttle: AuthThrottle,
  ) {}

  async register(ctx: RequestContext, input: unknown): Promise<AuthResult> {
    const data = validate(registerSchema, input);
    // Counted before the password is hashed: a flood is refused for the price of an insert.
    await this.throttle.register(ctx.clientIp);
    const account = await this.users.createCustomer(data);
    ctx.log.info({ userId: account.user.id }, 'user registered');
    return this.signIn(account);
  }

  /**
   * One answer for an unknown email and a wrong password, in about the same time: an unknown
   * email still costs one argon2 verification (of a dummy hash).
   */
  async login(ctx: RequestContext, input: unknown): Promise<AuthResult> {
    const data = validate(loginSchema, input);
    const attempt = await this.throttle.login(data.email, ctx.clientIp);
    const credentials = await this.users.findCredentials(data.email);
    const valid = credentials
      ? await passwordHasher.verify(credentials.passwordHash, data.password)
      : await passwordHasher.burnTime(data.password);
    if (!credentials || !valid) {
      ctx.log.info({ clientIp: ctx.clientIp }, 'login failed');
      throw new UnauthenticatedError('Invalid email or password');
    }
    await attempt.succeeded();
    return this.signIn(credentials);
  }

  /**
   * Rotates the refresh token; the access token carries the account's current role and token
   * version. A session started before the account's last bump is refused and ended, even one a
   * revocation raced with (started while every session was being ended).
   */
  async refresh(ctx: RequestContext, refreshToken: unknown): Promise<AuthResult> {
    const { token } = validate(z.object({ token: opaqueToken }), { token: refreshToken });
    const rotated = await this.sessions.rotate(token, ctx.log);
    const account = await this.users.findAccount(rotated.userId);
    if (!account || account.tokenVersion !== rotated.tokenVersion) {
      await this.sessions.revoke(rotated.token, 'token version');
      throw new UnauthenticatedError('Invalid refresh token');
    }
    const { user, tokenVersion } = account;
    return {
      token: await this.tokens.sign({ id: user.id, role: user.role, tokenVersion }),
      refreshToken: rotated.token,
      user,
    };
  }

  /**
   * The signed-in user's new password, after the current one (counted like a login, so a stolen
   * access token cannot guess it faster). Every token and session issued before ends; the answer
   * is a new pair for this device. Each account's changes are counted too (AuthThrottle.passwordChange).
   */
  async changePassword(ctx: RequestContext, input: unknown): Promise<AuthResult> {
    const principal = requirePrincipal(ctx.principal); // before the input is read, as for every signed-in operation
    const data = validate(changePasswordSchema, input);
    await this.throttle.passwordChange(principal.id);
    const credentials = await this.proveCurrentPassword(ctx, data.currentPassword);
    const account = await this.users.setPasswordHash(
      credentials,
      await passwordHasher.hash(data.newPassword),
      'changed',
    );
    if (!account) throw new UnauthenticatedError();
    ctx.log.info({ userId: credentials.user.id }, 'password changed: every session ended');
    return this.signIn(account);
  }

  /**
   * Internal (also EmailVerificationService): the signed-in account, once its current password is
   * given. Counted like a login, so a stolen access token cannot guess it faster; a wrong one is
   * BAD_USER_INPUT on `currentPassword`.
   */
  async proveCurrentPassword(ctx: RequestContext, currentPassword: string): Promise<Account> {
    const principal = requirePrincipal(ctx.principal);
    const credentials = await this.users.findCredentialsById(principal.id);
    if (!credentials) throw new UnauthenticatedError();
    const attempt = await this.throttle.login(credentials.user.email, ctx.clientIp);
    if (!(await passwordHasher.verify(credentials.passwordHash, currentPassword))) {
      ctx.log.info({ userId: principal.id, clientIp: ctx.clientIp }, 'current password refused');
      throw new BadUserInputError('Current password is wrong', [{ field: 'currentPassword', message: 'is wrong' }]);
    }
    await attempt.succeeded();
    const { passwordHash: _hash, ...account } = credentials;
    return account;
  }

  async logout(_ctx: RequestContext, refreshToken: unknown): Promise<boolean> {
    const data = validate(z.object({ refreshToken: opaqueToken }), { refreshToken });
    await this.sessions.revoke(data.refreshToken);
    return true;
  }

  /** Housekeeping for the purge job: ended sessions and login windows. */
  async purgeExpired(now: Date): Promise<{ sessions: number; loginWindows: number }> {
    const [sessions, loginWindows] = await Promise.all([
      this.sessions.purgeExpired(now),
      this.throttle.purgeExpired(now),
    ]);
    return { sessions, loginWindows };
  }

  /** Internal (also PasswordResetService): a new access token and session for the account. */
  async signIn({ user, tokenVersion }: Account): Promise<AuthResult> {
    const [token, refreshToken] = await Promise.all([
      this.tokens.sign({ id: user.id, role: user.role, tokenVersion }),
      this.sessions.start(user.id, tokenVersion),
    ]);
    return { token, refreshToken, user };
  }
}
