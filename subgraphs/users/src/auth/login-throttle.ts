import { AppError, clientAddressKey, isDuplicateKeyError, withDocumentLock } from '@shop/platform';
import { LoginAttemptModel, type LoginAttemptWindow } from './login-attempt.model.js';

export interface LoginLimits {
  LOGIN_MAX_FAILURES_PER_EMAIL: number;
  LOGIN_MAX_FAILURES_PER_IP: number;
  LOGIN_WINDOW_SECONDS: number;
  LOGIN_BACKOFF_AFTER_FAILURES: number;
  LOGIN_BACKOFF_BASE_MS: number;
  LOGIN_BACKOFF_MAX_MS: number;
}

/**
 * The wait before an email's password is checked, once that email has failed more than
 * `LOGIN_BACKOFF_AFTER_FAILURES` times in the window from all addresses together: doubling from
 * the base, capped. It slows a guesser spread over many addresses; it never refuses anyone.
 */
export function loginBackoffMs(emailFailures: number, limits: LoginLimits): number {
  const over = emailFailures - limits.LOGIN_BACKOFF_AFTER_FAILURES;
  if (over <= 0) return 0;
  return Math.min(limits.LOGIN_BACKOFF_MAX_MS, limits.LOGIN_BACKOFF_BASE_MS * 2 ** Math.min(over - 1, 20));
}

/** `TOO_MANY_REQUESTS` with `retryAfter` in whole seconds (the gateway's REST shim answers 429 + Retry-After). */
export class TooManyRequestsError extends AppError {
  constructor(retryAfter: number) {
    super('TOO_MANY_REQUESTS', 'Too many failed login attempts; try again later', { retryAfter });
  }
}

export interface LoginAttempt {
  /** The password was right: this attempt does not count as a failure. */
  succeeded(): Promise<void>;
}

/**
 * Fixed-window limits on failed logins: per client address (any email), and per email *from one
 * address*, so five wrong passwords from a stranger lock that stranger out of the account, not its
 * owner. Across addresses an email only earns a growing wait (loginBackoffMs), never a lockout, so
 * the right password from a new address always gets in. Each attempt is counted before the password
 * is checked, so parallel guesses cannot all pass a check made before any of them failed; a
 * successful login gives its attempt back. The attempt past a limit locks the key for one window.
 */
export class LoginThrottle {
  constructor(
    private readonly limits: LoginLimits,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
  ) {}

  async begin(email: string, clientIp: string): Promise<LoginAttempt> {
    const address = clientAddressKey(clientIp);
    // The address first: a refused address does not spend the email's budget.
    const ipKey = `ip:${address}`;
    await this.count(ipKey, this.limits.LOGIN_MAX_FAILURES_PER_IP);
    const pairKey = `email-ip:${email} ${address}`;
    await this.count(pairKey, this.limits.LOGIN_MAX_FAILURES_PER_EMAIL);
    const emailKey = `email:${email}`;
    const emailWindow = await this.bump(emailKey);
    await this.sleep(loginBackoffMs(emailWindow.count - 1, this.limits));
    return {
      succeeded: async () => {
        // The account owner got in: their email starts afresh; the address only gets its attempt back.
        for (const key of [pairKey, emailKey]) {
          await withDocumentLock('login_attempts', key, () => LoginAttemptModel.deleteOne({ _id: key }));
        }
        await withDocumentLock('login_attempts', ipKey, () =>
          LoginAttemptModel.updateOne({ _id: ipKey, count: { $gt: 0 } }, { $inc: { count: -1 } }),
        );
      },
    };
  }

  /** Windows that ended: they no longer limit anything. */
  async purgeExpired(now: Date): Promise<number> {
    return (await LoginAttemptModel.deleteMany({ windowEndsAt: { $lt: now } })).deletedCount;
  }

  private async count(key: string, limit: number): Promise<void> {
    const window = await this.bump(key);
    if (window.count <= limit) return;
    let endsAt = window.windowEndsAt;
    if (window.count === limit + 1) {
      endsAt = new Date(Date.now() + this.limits.LOGIN_WINDOW_SECONDS * 1000);
      await withDocumentLock('login_attempts', key, () =>
        LoginAttemptModel.updateOne({ _id: key }, { $set: { windowEndsAt: endsAt } }),
      );
    }
    throw new TooManyRequestsError(Math.max(1, Math.ceil((endsAt.getTime() - Date.now()) / 1000)));
  }

  /** +1 in the open window, or a new window of 1; race-free across replicas on MongoDB. */
  private bump(key: string): Promise<LoginAttemptWindow> {
    return withDocumentLock('login_attempts', key, async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const now = new Date();
        const open = await LoginAttemptModel.findOneAndUpdate(
          { _id: key, windowEndsAt: { $gt: now } },
          { $inc: { count: 1 } },
          { returnDocument: 'after' },
        ).lean<LoginAttemptWindow>();
        if (open) return open;
        try {
          const opened = await LoginAttemptModel.findOneAndUpdate(
            { _id: key, windowEndsAt: { $lte: now } },
            { $set: { count: 1, windowEndsAt: new Date(now.getTime() + this.limits.LOGIN_WINDOW_SECONDS * 1000) } },
            { returnDocument: 'after', upsert: true },
          ).lean<LoginAttemptWindow>();
          if (opened) return opened;
        } catch (error) {
          // Another replica opened the window between the two updates: count in that one.
          if (!isDuplicateKeyError(error)) throw error;
        }
      }
      throw new Error(`login attempt window ${key} could not be updated`);
    });
  }
}
