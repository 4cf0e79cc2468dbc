import { randomUUID } from 'node:crypto';
import { AppError } from '@shop/platform/core';
import { clientAddressKey } from '@shop/platform/http';
import { withDocumentLock } from '@shop/platform/mongo';
import { ExpiredRecordsPurge } from './expired-records.purge.js';
import { expiringAt } from './expiring-record.model.js';
import { LoginAttemptModel, type LoginAttemptRecord } from './login-attempt.model.js';

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
 * Sliding-window limits on failed logins: per client address (any email), and per email *from one
 * address*, so five wrong passwords from a stranger lock that stranger out of the account, not its
 * owner. Across addresses an email only earns a growing wait (loginBackoffMs), never a lockout, so
 * the right password from a new address always gets in. Each attempt is counted before the password
 * is checked, so parallel guesses cannot all pass a check made before any of them failed; a
 * successful login gives its attempt back. The attempt past a limit locks the key for one window.
 *
 * Across replicas, on any MongoDB-wire server: an attempt is one inserted document, and it is let
 * through only if the count of its key's attempts in the window, taken after its own insert, is
 * within the limit. Of any limit + 1 attempts let through, the last one inserted would have counted
 * them all, so no more than the limit ever pass. Concurrent attempts may count each other and both
 * be refused (never the other way); within one process, attempts on one key queue (the FerretDB
 * adapter), so one replica counts exactly.
 */
export class LoginThrottle {
  private readonly purge = new ExpiredRecordsPurge(LoginAttemptModel);

  constructor(
    private readonly limits: LoginLimits,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
    /** The time the windows are measured in (tests move it instead of waiting a window out). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  async begin(email: string, clientIp: string): Promise<LoginAttempt> {
    const address = clientAddressKey(clientIp);
    // The address first: a refused address does not spend the email's budget.
    const ipKey = `ip:${address}`;
    const ipAttempt = await this.count(ipKey, this.limits.LOGIN_MAX_FAILURES_PER_IP);
    const pairKey = `email-ip:${email} ${address}`;
    await this.count(pairKey, this.limits.LOGIN_MAX_FAILURES_PER_EMAIL);
    const emailKey = `email:${email}`;
    const emailFailures = await withDocumentLock('login_attempts', emailKey, async () => {
      const now = this.now();
      await this.insert(emailKey, now);
      return this.attemptsInWindow(emailKey, now);
    });
    await this.sleep(loginBackoffMs(emailFailures - 1, this.limits));
    return {
      succeeded: async () => {
        // The account owner got in: their email starts afresh; the address only gets its attempt back.
        // One equality each, not `$in`: FerretDB serves an equality from an index, `$in` reads the whole log.
        for (const key of [pairKey, emailKey]) await LoginAttemptModel.deleteMany({ key });
        await LoginAttemptModel.deleteOne({ _id: ipAttempt });
      },
    };
  }

  /** Attempts that left the window: they no longer limit anything. */
  async purgeExpired(now: Date): Promise<number> {
    return this.purge.run(now);
  }

  /** Counts an attempt under `key` and returns its id, or throws TooManyRequestsError past the limit. */
  private count(key: string, limit: number): Promise<string> {
    return withDocumentLock('login_attempts', key, async () => {
      const now = this.now();
      const lock = await LoginAttemptModel.findOne({ key, refused: true, at: { $gt: this.windowStart(now) } })
        .sort({ at: 1 })
        .lean<LoginAttemptRecord>();
      if (lock) throw new TooManyRequestsError(this.secondsLeft(lock.at, now));
      const id = await this.insert(key, now);
      if ((await this.attemptsInWindow(key, now)) <= limit) return id;
      // Locks the key; one writer per attempt document, so a plain update is safe.
      await LoginAttemptModel.updateOne({ _id: id }, { $set: { refused: true } });
      throw new TooManyRequestsError(this.limits.LOGIN_WINDOW_SECONDS);
    });
  }

  private async insert(key: string, at: Date): Promise<string> {
    const _id = randomUUID();
    await LoginAttemptModel.create({ _id, key, at, ...expiringAt(new Date(at.getTime() + this.windowMs())) });
    return _id;
  }

  /** Read after this attempt's own insert: it counts every attempt inserted before it. */
  private attemptsInWindow(key: string, now: Date): Promise<number> {
    return LoginAttemptModel.countDocuments({ key, at: { $gt: this.windowStart(now) } });
  }

  private windowStart(now: Date): Date {
    return new Date(now.getTime() - this.windowMs());
  }

  private secondsLeft(lockedAt: Date, now: Date): number {
    return Math.max(1, Math.ceil((lockedAt.getTime() + this.windowMs() - now.getTime()) / 1000));
  }

  private windowMs(): number {
    return this.limits.LOGIN_WINDOW_SECONDS * 1000;
  }
}
