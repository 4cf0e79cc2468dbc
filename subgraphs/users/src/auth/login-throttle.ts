import { AppError, isDuplicateKeyError, withDocumentLock } from '@shop/platform';
import { clientAddressKey } from './client-address.js';
import { LoginAttemptModel, type LoginAttemptWindow } from './login-attempt.model.js';

export interface LoginLimits {
  LOGIN_MAX_FAILURES_PER_EMAIL: number;
  LOGIN_MAX_FAILURES_PER_IP: number;
  LOGIN_WINDOW_SECONDS: number;
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
 * Fixed-window limits on failed logins, per client address and per email. Each attempt is
 * counted before the password is checked, so parallel guesses cannot all pass a check made
 * before any of them failed; a successful login gives its attempt back. The attempt past the
 * limit locks the key for one full window from then on.
 */
export class LoginThrottle {
  constructor(private readonly limits: LoginLimits) {}

  async begin(email: string, clientIp: string): Promise<LoginAttempt> {
    // The address first: a refused address does not spend the email's budget.
    const ipKey = `ip:${clientAddressKey(clientIp)}`;
    await this.count(ipKey, this.limits.LOGIN_MAX_FAILURES_PER_IP);
    const emailKey = `email:${email}`;
    await this.count(emailKey, this.limits.LOGIN_MAX_FAILURES_PER_EMAIL);
    return {
      succeeded: async () => {
        // The account owner got in: their email starts afresh; the address only gets its attempt back.
        await withDocumentLock('login_attempts', emailKey, () => LoginAttemptModel.deleteOne({ _id: emailKey }));
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
