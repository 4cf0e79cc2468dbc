import { type RequestContext, type TokenService, UnauthenticatedError, validate } from '@shop/platform';
import { z } from 'zod';
import { passwordHasher } from '../user/password-hasher.js';
import { emailSchema, registerSchema, type UserService } from '../user/user.service.js';
import type { User } from '../user/user.type.js';
import type { LoginThrottle } from './login-throttle.js';
import type { RefreshTokenStore } from './refresh-token.store.js';

// Only bounded, not checked against the policy: a login must not reveal which rule a password breaks.
const loginSchema = z.object({ email: emailSchema, password: z.string().min(1, 'is required').max(128) });
const opaqueToken = z.string().min(1, 'is required').max(200);

export interface AuthResult {
  token: string;
  refreshToken: string;
  user: User;
}

/** Credentials and sessions: register, login, refresh, logout. */
export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly sessions: RefreshTokenStore,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(ctx: RequestContext, input: unknown): Promise<AuthResult> {
    const user = await this.users.createCustomer(validate(registerSchema, input));
    ctx.log.info({ userId: user.id }, 'user registered');
    return this.signIn(user);
  }

  /**
   * One answer for an unknown email and a wrong password, in about the same time: an unknown
   * email still costs one argon2 verification (of a dummy hash).
   */
  async login(ctx: RequestContext, input: unknown): Promise<AuthResult> {
    const data = validate(loginSchema, input);
    const attempt = await this.throttle.begin(data.email, ctx.clientIp);
    const credentials = await this.users.findCredentials(data.email);
    const valid = credentials
      ? await passwordHasher.verify(credentials.passwordHash, data.password)
      : await passwordHasher.burnTime(data.password);
    if (!credentials || !valid) {
      ctx.log.info({ clientIp: ctx.clientIp }, 'login failed');
      throw new UnauthenticatedError('Invalid email or password');
    }
    await attempt.succeeded();
    return this.signIn(credentials.user);
  }

  /** Rotates the refresh token; the access token carries the account's current role. */
  async refresh(ctx: RequestContext, refreshToken: unknown): Promise<AuthResult> {
    const { token } = validate(z.object({ token: opaqueToken }), { token: refreshToken });
    const rotated = await this.sessions.rotate(token, ctx.log);
    const user = await this.users.find(rotated.userId);
    if (!user) throw new UnauthenticatedError('Invalid refresh token');
    return { token: await this.tokens.sign({ id: user.id, role: user.role }), refreshToken: rotated.token, user };
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

  private async signIn(user: User): Promise<AuthResult> {
    const [token, refreshToken] = await Promise.all([
      this.tokens.sign({ id: user.id, role: user.role }),
      this.sessions.start(user.id),
    ]);
    return { token, refreshToken, user };
  }
}
