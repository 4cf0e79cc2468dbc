import { randomUUID } from 'node:crypto';
import { AppError } from '@shop/platform/core';
import { clientAddressKey } from '@shop/platform/http';
import { withDocumentLock } from '@shop/platform/mongo';
import { ExpiredRecordsPurge } from './expired-records.purge.js';
import { expiringAt } from './expiring-record.model.js';
import { LoginAttemptModel, type LoginAttemptRecord } from './login-attempt.model.js';

export interface ThrottleLimits {
  REGISTER_LIMIT_PER_IP: number;
  REGISTER_LIMIT_WINDOW_SECONDS: number;
  LOGIN_MAX_FAILURES_PER_EMAIL: number;
  LOGIN_MAX_FAILURES_PER_IP: number;
  LOGIN_WINDOW_SECONDS: number;
  LOGIN_BACKOFF_AFTER_FAILURES: number;
  LOGIN_BACKOFF_BASE_MS: number;
  LOGIN_BACKOFF_MAX_MS: number;
  PASSWORD_RESET_LIMIT_PER_EMAIL: number;
  PASSWORD_RESET_LIMIT_PER_IP: number;
  PASSWORD_RESET_WINDOW_SECONDS: number;
}

/**
 * The wait before an email's password is checked, once that email has failed more than
 * `LOGIN_BACKOFF_AFTER_FAILURES` times in the window from all addresses together: doubling from
 * the base, capped. It slows a guesser that waits for each answer, and never refuses anyone. It does
 * not space attempts sent in parallel from many addresses (each waits its own time): those are
 * bounded by the per-address limits, since spacing them would let a guesser lock the owner out.
 */
export function loginBackoffMs(emailFailures: number, limits: ThrottleLimits): number {
  const over = emailFailures - limits.LOGIN_BACKOFF_AFTER_FAILURES;
  if (over <= 0) return 0;
  return Math.min(limits.LOGIN_BACKOFF_MAX_MS, limits.LOGIN_BACKOFF_BASE_MS * 2 ** Math.min(over - 1, 20));
}

/**
 * The failures from which loginBackoffMs stops growing: an email keeps no more than these (its
 * newest), since more would change nothing.
 */
export function loginBackoffSaturation(limits: ThrottleLimits): number {
  let failures = limits.LOGIN_BACKOFF_AFTER_FAILURES;
  while (loginBackoffMs(failures + 1, limits) > loginBackoffMs(failures, limits)) failures++;
  return failures;
}

/** `TOO_MANY_REQUESTS` with `retryAfter` in whole seconds (the gateway's REST shim answers 429 + Retry-After). */
export class TooManyRequestsError extends AppError {
  constructor(what: string, retryAfter: number) {
    super('TOO_MANY_REQUESTS', `Too many ${what}; try again later`, { retryAfter });
  }
}

/** One sliding window: at most `limit` attempts under a key within `seconds`; `what` names them in the refusal. */
interface AttemptWindow {
  limit: number;
  seconds: number;
  what: string;
}

export interface LoginAttempt {
  /** The password was right: this attempt does not count as a failure. */
  succeeded(): Promise<void>;
}

/**
 * Sliding-window limits, in the database so they hold across every replica: registrations per
 * client address (REGISTER_LIMIT_PER_IP, which each gateway instance also applies on its own), and
 * failed logins, per client address (any email) and per email *from one address*, so five wrong
 * passwords from a stranger lock that stranger out of the account, not its owner. Across
 * addresses an email only earns a growing wait (loginBackoffMs), never a lockout, so the right
 * password from a new address always gets in. Each attempt is counted before the password is
 * hashed or checked, so parallel attempts cannot all pass a check made before any of them counted;
 * a successful login gives its attempt back. The attempt past a limit locks the key for one window.
 *
 * Across replicas, on any MongoDB-wire server: an attempt is one inserted document, and it is let
 * through only if the count of its key's attempts in the window, taken after its own insert, is
 * within the limit. Of any limit + 1 attempts let through, the last one inserted would have counted
 * them all, so no more than the limit ever pass. Concurrent attempts may count each other and both
 * be refused (never the other way); within one process, attempts on one key queue (the FerretDB
 * adapter), so one replica counts exactly.
 */
export class AuthThrottle {
  private readonly purge = new ExpiredRecordsPurge(LoginAttemptModel);

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
    /** The time the windows are measured in (tests move it instead of waiting a window out). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Counts a registration from this address before its password is hashed; throws TooManyRequestsError past the limit. */
  async register(clientIp: string): Promise<void> {
    await this.count(`register:${clientAddressKey(clientIp)}`, {
      limit: this.limits.REGISTER_LIMIT_PER_IP,
      seconds: this.limits.REGISTER_LIMIT_WINDOW_SECONDS,
      what: 'registrations from this address',
    });
  }

  /**
   * Counts a password reset request, per address and per email whether or not it has an account (so
   * a refusal tells nothing about it); throws TooManyRequestsError past either limit.
   */
  async passwordReset(email: string, clientIp: string): Promise<void> {
    const what = 'password reset requests';
    await this.count(
      `reset-ip:${clientAddressKey(clientIp)}`,
      this.mailWindow(what, this.limits.PASSWORD_RESET_LIMIT_PER_IP),
    );
    await this.count(`reset-email:${email}`, this.mailWindow(what));
  }

  /**
   * Counts a new confirmation link asked for by an account, as many in the window as reset links
   * per email (both are emails anyone signed in could make the shop send); throws TooManyRequestsError past it.
   */
  async emailVerification(email: string): Promise<void> {
    await this.count(`verify-email:${email}`, this.mailWindow('confirmation emails'));
  }

  /**
   * Counts an address change asked for by an account, before its password is checked: as many in
   * the window as reset links per email, so one account can neither mail strangers without end
   * nor have its password hashed without end; throws TooManyRequestsError past it.
   */
  async emailChange(userId: string): Promise<void> {
    await this.count(`email-change:${userId}`, this.mailWindow('address change requests'));
  }

  /**
   * Counts a password change asked for by an account, before its current password is checked: as
   * many in the window as reset links per email. A right password leaves no trace in the login
   * counts, and each change hashes a password and emails the account, so without this one account
   * could keep both going without end; throws TooManyRequestsError past it.
   */
  async passwordChange(userId: string): Promise<void> {
    await this.count(`password-change:${userId}`, this.mailWindow('password changes'));
  }

  /** The window of requests that make the shop send an email: PASSWORD_RESET_WINDOW_SECONDS, as many as reset links per email. */
  private mailWindow(what: string, limit = this.limits.PASSWORD_RESET_LIMIT_PER_EMAIL): AttemptWindow {
    return { limit, seconds: this.limits.PASSWORD_RESET_WINDOW_SECONDS, what };
  }

  /** Counts a login before its password is checked, and waits the email's backoff; throws TooManyRequestsError past a limit. */
  async login(email: string, clientIp: string): Promise<LoginAttempt> {
    const address = clientAddressKey(clientIp);
    const failures = (limit: number): AttemptWindow => ({
      limit,
      seconds: this.limits.LOGIN_WINDOW_SECONDS,
      what: 'failed login attempts',
    });
    // The address first: a refused address does not spend the email's budget.
    const ipKey = `ip:${address}`;
    const ipAttempt = await this.count(ipKey, failures(this.limits.LOGIN_MAX_FAILURES_PER_IP));
    const pairKey = `email-ip:${email} ${address}`;
    await this.count(pairKey, failures(this.limits.LOGIN_MAX_FAILURES_PER_EMAIL));
    const emailKey = `email:${email}`;
    const emailWindow = failures(Number.POSITIVE_INFINITY);
    const emailFailures = await withDocumentLock('login_attempts', emailKey, async () => {
      const now = this.now();
      await this.insert(emailKey, now, emailWindow);
      const failures = await this.attemptsInWindow(emailKey, now, emailWindow);
      // Past the wait's cap, the oldest failure goes: the email's records, and this count, stay a
      // handful however many addresses guess at it, and the newest kept still slide with the attack.
      if (failures > loginBackoffSaturation(this.limits)) {
        await LoginAttemptModel.findOneAndDelete({ key: emailKey }, { sort: { at: 1 } });
      }
      return failures;
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

  /** Counts an attempt under `key` and returns its id, or throws TooManyRequestsError past the window's limit. */
  private count(key: string, window: AttemptWindow): Promise<string> {
    return withDocumentLock('login_attempts', key, async () => {
      const now = this.now();
      const lock = await LoginAttemptModel.findOne({ key, refused: true, at: { $gt: windowStart(now, window) } })
        .sort({ at: 1 })
        .lean<LoginAttemptRecord>();
      if (lock) throw new TooManyRequestsError(window.what, secondsLeft(lock.at, now, window));
      const id = await this.insert(key, now, window);
      if ((await this.attemptsInWindow(key, now, window)) <= window.limit) return id;
      // Locks the key; one writer per attempt document, so a plain update is safe.
      await LoginAttemptModel.updateOne({ _id: id }, { $set: { refused: true } });
      throw new TooManyRequestsError(window.what, window.seconds);
    });
  }

  private async insert(key: string, at: Date, window: AttemptWindow): Promise<string> {
    const _id = randomUUID();
    await LoginAttemptModel.create({ _id, key, at, ...expiringAt(new Date(at.getTime() + window.seconds * 1000)) });
    return _id;
  }

  /** Read after this attempt's own insert: it counts every attempt inserted before it. */
  private attemptsInWindow(key: string, now: Date, window: AttemptWindow): Promise<number> {
    return LoginAttemptModel.countDocuments({ key, at: { $gt: windowStart(now, window) } });
  }
}

const windowStart = (now: Date, window: AttemptWindow): Date => new Date(now.getTime() - window.seconds * 1000);

const secondsLeft = (lockedAt: Date, now: Date, window: AttemptWindow): number =>
  Math.max(1, Math.ceil((lockedAt.getTime() + window.seconds * 1000 - now.getTime()) / 1000));
