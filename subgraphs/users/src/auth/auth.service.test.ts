import { connectTestMongo, createTestTokens, silentLogger, testContext } from '@shop/platform/testing';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { UserModel } from '../user/user.model.js';
import { AuthThrottle, loginBackoffMs, loginBackoffSaturation } from './auth-throttle.js';
import { ExpiredRecordsJob } from './expired-records.job.js';
import { LoginAttemptModel } from './login-attempt.model.js';
import { RefreshTokenModel } from './refresh-token.model.js';

const tokens = createTestTokens();
const WINDOW_SECONDS = 60;
/** The login windows' clock: a test moves it past a window instead of waiting, so no window ends mid-test. */
let clockOffsetMs = 0;
const services = createUsersServices(
  tokens,
  {
    LOGIN_MAX_FAILURES_PER_EMAIL: 3,
    LOGIN_MAX_FAILURES_PER_IP: 6,
    LOGIN_WINDOW_SECONDS: WINDOW_SECONDS,
    // The accounts this file needs come from one address; the registration limit has a test of its own.
    REGISTER_LIMIT_PER_IP: 100,
  },
  { now: () => new Date(Date.now() + clockOffsetMs) },
);
const { auth } = services;
const from = (clientIp: string) => ({ ...testContext(null, services), clientIp });
const anonymous = from('10.0.0.1');
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('users_auth');
});
afterAll(() => db.drop());

const input = { email: ' Ada@Example.com ', password: 'correct horse', firstName: 'Ada', lastName: 'Lovelace' };
// biome-ignore lint/suspicious/noExplicitAny: assertions read GraphQL error extensions freely
const failure = (promise: Promise<unknown>): Promise<any> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error) => error,
  );
const fieldsOf = (error: { extensions: { fields: { field: string }[] } }) =>
  error.extensions.fields.map((f) => f.field);

describe('registration', () => {
  it('registers a customer with a normalized email, an argon2id hash and a verifiable token pair', async () => {
    const { token, refreshToken, user } = await auth.register(anonymous, input);
    expect(user).toMatchObject({ email: 'ada@example.com', role: 'CUSTOMER', firstName: 'Ada' });
    expect(user).not.toHaveProperty('passwordHash');
    expect(await tokens.verify(token)).toEqual({ id: user.id, role: 'CUSTOMER', tokenVersion: 0 });
    expect(refreshToken).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    const stored = await UserModel.findById(user.id).select('+passwordHash').lean();
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('refuses a second account for the same email with CONFLICT', async () => {
    const error = await failure(auth.register(anonymous, { ...input, email: 'ADA@example.com' }));
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
  });

  it('creates exactly one account when the same email registers concurrently', async () => {
    const email = 'race@example.com';
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => auth.register(anonymous, { ...input, email })),
    );
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejected.map((r) => r.reason.extensions.code)).toEqual(Array(5).fill('CONFLICT'));
    expect(await UserModel.countDocuments({ email })).toBe(1);
  });

  it('refuses registrations from one address past REGISTER_LIMIT_PER_IP, counted before the email or the password is looked at', async () => {
    const limited = createUsersServices(tokens, { REGISTER_LIMIT_PER_IP: 2 }).auth;
    for (const email of ['limit1@example.com', 'limit2@example.com'])
      await limited.register(from('10.7.0.1'), { ...input, email });
    // A taken email too: the limit answers first, so the address learns nothing and no hash is spent.
    for (const email of ['limit3@example.com', 'limit1@example.com']) {
      const refused = await failure(limited.register(from('10.7.0.1'), { ...input, email }));
      expect(refused.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: 3_600 });
    }
    expect(await UserModel.countDocuments({ email: 'limit3@example.com' })).toBe(0);
    expect((await limited.register(from('10.7.0.2'), { ...input, email: 'limit3@example.com' })).user.email).toBe(
      'limit3@example.com',
    );
  });

  it('names each invalid field: email, password length and commonness, names', async () => {
    const short = await failure(
      auth.register(anonymous, { email: 'nope', password: 'short', firstName: ' ', lastName: 'x'.repeat(101) }),
    );
    expect(short.extensions.code).toBe('BAD_USER_INPUT');
    expect(fieldsOf(short)).toEqual(['email', 'password', 'firstName', 'lastName']);
    const common = await failure(auth.register(anonymous, { ...input, email: 'c@example.com', password: 'Password1' }));
    expect(common.extensions.fields).toEqual([{ field: 'password', message: 'is too common' }]);
    const long = await failure(
      auth.register(anonymous, { ...input, email: 'l@example.com', password: 'x'.repeat(129) }),
    );
    expect(fieldsOf(long)).toEqual(['password']);
    // A lone surrogate has no UTF-8 form: stored, it would have become U+FFFD without a word.
    const lone = await failure(auth.register(anonymous, { ...input, email: 's@example.com', lastName: 'Love\ud800' }));
    expect(lone.extensions.fields).toEqual([
      { field: 'lastName', message: 'must be valid Unicode text (no lone surrogate)' },
    ]);
  });
});

describe('login', () => {
  it('logs in with the right password only; unknown email and wrong password answer alike', async () => {
    const ok = await auth.login(from('10.0.1.1'), { email: 'ADA@example.com ', password: 'correct horse' });
    expect(ok.user.email).toBe('ada@example.com');
    const wrong = await failure(auth.login(from('10.0.1.1'), { email: 'ada@example.com', password: 'wrong horse' }));
    const unknown = await failure(auth.login(from('10.0.1.1'), { email: 'who@example.com', password: 'wrong horse' }));
    expect(wrong.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect({ message: unknown.message, extensions: unknown.extensions }).toEqual({
      message: wrong.message,
      extensions: wrong.extensions,
    });
  });
});

describe('brute-force limits', () => {
  const victim = { email: 'victim@example.com', password: 'victim password' };

  it('locks one address out of an email after the limit (TOO_MANY_REQUESTS with retry-after, even for the right password) and releases it after the window', async () => {
    await auth.register(anonymous, { ...input, ...victim });
    for (let i = 0; i < 3; i++) {
      const error = await failure(auth.login(from('10.1.0.1'), { ...victim, password: `guess ${i}` }));
      expect(error.extensions.code).toBe('UNAUTHENTICATED');
    }
    const locked = await failure(auth.login(from('10.1.0.1'), victim));
    expect(locked.extensions.code).toBe('TOO_MANY_REQUESTS');
    expect(locked.extensions.retryAfter).toBeGreaterThanOrEqual(1);
    expect(locked.extensions.retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    clockOffsetMs += locked.extensions.retryAfter * 1000 + 100;
    expect((await auth.login(from('10.1.0.1'), victim)).user.email).toBe(victim.email);
  });

  it('never locks the owner out: wrong passwords from other addresses leave the right one from a new address working', async () => {
    // Five wrong passwords from each of three strangers: each stranger is locked out, the account is not.
    for (let stranger = 0; stranger < 3; stranger++) {
      for (let i = 0; i < 4; i++)
        await failure(auth.login(from(`10.8.${stranger}.1`), { ...victim, password: 'nope' }));
      expect((await failure(auth.login(from(`10.8.${stranger}.1`), victim))).extensions.code).toBe('TOO_MANY_REQUESTS');
    }
    expect((await auth.login(from('10.8.9.9'), victim)).user.email).toBe(victim.email);
  });

  it('limits an unknown email exactly like a known one', async () => {
    for (let i = 0; i < 3; i++) {
      await failure(auth.login(from('10.2.0.1'), { email: 'ghost@example.com', password: 'guess' }));
    }
    const locked = await failure(auth.login(from('10.2.0.1'), { email: 'ghost@example.com', password: 'guess' }));
    expect(locked.extensions.code).toBe('TOO_MANY_REQUESTS');
  });

  it('counts parallel guesses before checking them, so a burst cannot pass the limit', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        auth.login(from('10.3.0.1'), { email: 'burst@example.com', password: `guess ${i}` }),
      ),
    );
    const codes = results.map((r) => (r.status === 'rejected' ? r.reason.extensions.code : 'OK'));
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(5);
  });

  it('limits one client address across many emails, leaving other addresses alone', async () => {
    const attacker = from('10.4.0.1');
    for (let i = 0; i < 6; i++) {
      await failure(auth.login(attacker, { email: `spray-${i}@example.com`, password: 'guess' }));
    }
    const blocked = await failure(auth.login(attacker, victim));
    expect(blocked.extensions.code).toBe('TOO_MANY_REQUESTS');
    expect((await auth.login(from('10.4.0.2'), victim)).user.email).toBe(victim.email);
  });

  it('gives a successful login its attempt back and clears the email counts, but not the address count', async () => {
    for (let round = 0; round < 2; round++) {
      await failure(auth.login(from('10.5.0.1'), { ...victim, password: 'wrong' }));
      await failure(auth.login(from('10.5.0.1'), { ...victim, password: 'wrong' }));
      await auth.login(from('10.5.0.1'), victim);
    }
    expect(await LoginAttemptModel.countDocuments({ key: `email-ip:${victim.email} 10.5.0.1` })).toBe(0);
    expect(await LoginAttemptModel.countDocuments({ key: `email:${victim.email}` })).toBe(0);
    expect(await LoginAttemptModel.countDocuments({ key: 'ip:10.5.0.1' })).toBe(4);
  });

  it('makes an email failing from many addresses wait before each check, doubling up to a cap, never refusing', async () => {
    const limits = {
      REGISTER_LIMIT_PER_IP: 10,
      REGISTER_LIMIT_WINDOW_SECONDS: 3_600,
      LOGIN_MAX_FAILURES_PER_EMAIL: 3,
      LOGIN_MAX_FAILURES_PER_IP: 50,
      LOGIN_WINDOW_SECONDS: WINDOW_SECONDS,
      LOGIN_BACKOFF_AFTER_FAILURES: 4,
      LOGIN_BACKOFF_BASE_MS: 100,
      LOGIN_BACKOFF_MAX_MS: 1_000,
      PASSWORD_RESET_LIMIT_PER_EMAIL: 3,
      PASSWORD_RESET_LIMIT_PER_IP: 20,
      PASSWORD_RESET_WINDOW_SECONDS: 3_600,
    };
    expect([0, 4, 5, 6, 7, 8, 9, 50].map((failures) => loginBackoffMs(failures, limits))).toEqual([
      0, 0, 100, 200, 400, 800, 1_000, 1_000,
    ]);
    const waits: number[] = [];
    const throttle = new AuthThrottle(limits, async (ms) => {
      waits.push(ms);
    });
    for (let i = 0; i < 7; i++) await throttle.login('spread@example.com', `10.9.0.${i}`);
    expect(waits).toEqual([0, 0, 0, 0, 0, 100, 200]);

    // Past the cap only the newest 9 are kept: 9 failures give the longest wait.
    expect(loginBackoffSaturation(limits)).toBe(9);
    waits.length = 0;
    for (let i = 0; i < 13; i++) await throttle.login('spread@example.com', `10.9.1.${i}`);
    expect(waits).toEqual([400, 800, ...Array(11).fill(1_000)]);
    expect(await LoginAttemptModel.countDocuments({ key: 'email:spread@example.com' })).toBe(9);

    // An attack that goes on keeps the longest wait: what is kept is its newest failures, not the
    // first ones, which leave the window together.
    // Two windows and more ago, so that all of it has ended for the tests after.
    let now = Date.now() - WINDOW_SECONDS * 2_200;
    const steady = new AuthThrottle(
      limits,
      async (ms) => {
        waits.push(ms);
      },
      () => new Date(now),
    );
    for (let i = 0; i < 12; i++) await steady.login('steady@example.com', `10.9.2.${i}`);
    now += WINDOW_SECONDS * 600; // 0.6 of the window later
    for (let i = 0; i < 12; i++) await steady.login('steady@example.com', `10.9.3.${i}`);
    now += WINDOW_SECONDS * 500; // 1.1 windows after the first
    waits.length = 0;
    await steady.login('steady@example.com', '10.9.4.1');
    expect(waits).toEqual([1_000]);
  });
});

describe('refresh tokens', () => {
  const ada = { email: 'ada@example.com', password: 'correct horse' };

  it('rotates on each use and stores only a hash', async () => {
    const first = await auth.login(from('10.6.0.1'), ada);
    const second = await auth.refresh(anonymous, first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.id).toBe(first.user.id);
    expect(await tokens.verify(second.token)).toEqual({ id: first.user.id, role: 'CUSTOMER', tokenVersion: 0 });
    const family = await RefreshTokenModel.findById(second.refreshToken.split('.')[0]).lean();
    expect(JSON.stringify(family)).not.toContain(second.refreshToken.split('.')[1]);
    const third = await auth.refresh(anonymous, second.refreshToken);
    expect(third.user.email).toBe('ada@example.com');
  });

  it('revokes the whole family when a replaced token is used again', async () => {
    const first = await auth.login(from('10.6.0.2'), ada);
    const second = await auth.refresh(anonymous, first.refreshToken);
    const replay = await failure(auth.refresh(anonymous, first.refreshToken));
    expect(replay.extensions.code).toBe('UNAUTHENTICATED');
    // The thief replayed; the holder of the newest token is logged out too.
    expect((await failure(auth.refresh(anonymous, second.refreshToken))).extensions.code).toBe('UNAUTHENTICATED');
    const other = await auth.login(from('10.6.0.2'), ada);
    expect((await auth.refresh(anonymous, other.refreshToken)).user.email).toBe('ada@example.com');
  });

  it('accepts a token once when two refreshes race', async () => {
    const { refreshToken } = await auth.login(from('10.6.0.3'), ada);
    const results = await Promise.allSettled([
      auth.refresh(anonymous, refreshToken),
      auth.refresh(anonymous, refreshToken),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('rejects unknown and malformed tokens, and ends the session on logout', async () => {
    const bogus = `${crypto.randomUUID()}.${'A'.repeat(43)}`;
    expect((await failure(auth.refresh(anonymous, bogus))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await failure(auth.refresh(anonymous, 'nonsense'))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await failure(auth.refresh(anonymous, ''))).extensions.code).toBe('BAD_USER_INPUT');
    const { refreshToken } = await auth.login(from('10.6.0.4'), ada);
    expect(await auth.logout(anonymous, refreshToken)).toBe(true);
    expect((await failure(auth.refresh(anonymous, refreshToken))).extensions.code).toBe('UNAUTHENTICATED');
    expect(await auth.logout(anonymous, bogus)).toBe(true);
  });

  it("ends a session only for a token it issued: the session's id with another secret changes nothing", async () => {
    const { refreshToken } = await auth.login(from('10.6.0.9'), ada);
    const forged = `${refreshToken.split('.')[0]}.${'B'.repeat(43)}`;
    expect(await auth.logout(anonymous, forged)).toBe(true);
    expect((await failure(auth.refresh(anonymous, forged))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await auth.refresh(anonymous, refreshToken)).user.email).toBe('ada@example.com');
  });

  it('expires unused sessions after the refresh lifetime', async () => {
    const { refreshToken } = await auth.login(from('10.6.0.5'), ada);
    await RefreshTokenModel.updateOne(
      { _id: refreshToken.split('.')[0] },
      { $set: { expiresAt: new Date(Date.now() - 1) } },
    );
    expect((await failure(auth.refresh(anonymous, refreshToken))).extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('token versions', () => {
  const bea = { email: 'bea@example.com', password: 'correct horse', firstName: 'Bea', lastName: 'Bumped' };
  let beaId: string;
  // Addresses of their own: the brute-force tests' attempts may still be in the window.
  const as = (id: string, role: 'CUSTOMER' | 'ADMIN' = 'CUSTOMER') => ({
    ...testContext({ id, role }, services),
    clientIp: '10.10.0.1',
  });

  beforeAll(async () => {
    beaId = (await auth.register(anonymous, bea)).user.id;
  });

  it('refuses (and ends) a session started before the last bump, even one a revocation missed', async () => {
    const { refreshToken } = await auth.login(from('10.10.0.2'), bea);
    // A login racing logout-everywhere: its session is written after every session was ended.
    await UserModel.updateOne({ _id: beaId }, { $inc: { tokenVersion: 1 } });
    const error = await failure(auth.refresh(anonymous, refreshToken));
    expect(error.extensions.code).toBe('UNAUTHENTICATED');
    const family = await RefreshTokenModel.findById(refreshToken.split('.')[0]).lean();
    expect(family?.revokedReason).toBe('token version');
    const fresh = await auth.login(from('10.10.0.2'), bea);
    expect(await tokens.verify(fresh.token)).toEqual({ id: beaId, role: 'CUSTOMER', tokenVersion: 1 });
    expect((await auth.refresh(anonymous, fresh.refreshToken)).user.id).toBe(beaId);
  });

  it('changes the password only with the current one, bumps the version and ends every session', async () => {
    const other = await auth.login(from('10.10.0.3'), bea);
    const before = (await UserModel.findById(beaId).lean())?.tokenVersion ?? 0;
    const wrong = await failure(
      auth.changePassword(as(beaId), { currentPassword: 'not it', newPassword: 'a brand new secret' }),
    );
    expect(wrong.extensions.code).toBe('BAD_USER_INPUT');
    expect(fieldsOf(wrong)).toEqual(['currentPassword']);
    const weak = await failure(auth.changePassword(as(beaId), { currentPassword: bea.password, newPassword: 'short' }));
    expect(fieldsOf(weak)).toEqual(['newPassword']);
    const changed = await auth.changePassword(as(beaId), {
      currentPassword: bea.password,
      newPassword: 'a brand new secret',
    });
    expect(await tokens.verify(changed.token)).toEqual({ id: beaId, role: 'CUSTOMER', tokenVersion: before + 1 });
    expect((await failure(auth.refresh(anonymous, other.refreshToken))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await failure(auth.login(from('10.10.0.3'), bea))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await auth.login(from('10.10.0.3'), { ...bea, password: 'a brand new secret' })).user.id).toBe(beaId);
    expect((await auth.refresh(anonymous, changed.refreshToken)).user.id).toBe(beaId);
  });

  it("counts each account's password changes, wrong passwords included: past 3 in the window, refused before any check", async () => {
    const cal = { ...bea, email: 'cal@example.com' };
    const { user } = await auth.register(from('10.10.0.6'), cal);
    const change = (currentPassword: string, newPassword: string) =>
      auth.changePassword(as(user.id), { currentPassword, newPassword });
    await change(cal.password, 'second secret');
    expect((await failure(change('not it', 'third secret'))).extensions.code).toBe('BAD_USER_INPUT');
    await change('second secret', 'second secret'); // the same again: it still hashes and emails
    const refused = await failure(change('second secret', 'third secret'));
    expect(refused.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: expect.any(Number) });
    // Refused before the password was read: it is still the one set last.
    expect((await auth.login(from('10.10.0.6'), { ...cal, password: 'second secret' })).user.id).toBe(user.id);
    expect((await failure(change('not it', 'third secret'))).extensions.code).toBe('TOO_MANY_REQUESTS');
  });

  it('changes the password of an account stored before token versions existed (none stored: version 0)', async () => {
    const old = { ...bea, email: 'old@example.com' };
    const { user } = await auth.register(from('10.10.0.5'), old);
    await UserModel.collection.updateOne({ _id: new Types.ObjectId(user.id) }, { $unset: { tokenVersion: '' } });
    const changed = await auth.changePassword(as(user.id), {
      currentPassword: old.password,
      newPassword: 'a new secret',
    });
    expect(await tokens.verify(changed.token)).toEqual({ id: user.id, role: 'CUSTOMER', tokenVersion: 1 });
  });

  it('logs out everywhere: the owner or an admin; another customer is told the account does not exist', async () => {
    const session = await auth.login(from('10.10.0.4'), { ...bea, password: 'a brand new secret' });
    const stranger = (await auth.register(anonymous, { ...bea, email: 'stranger@example.com' })).user.id;
    expect((await failure(services.users.logoutEverywhere(as(stranger), beaId))).extensions.code).toBe('NOT_FOUND');
    expect((await auth.refresh(anonymous, session.refreshToken)).user.id).toBe(beaId);
    const before = (await UserModel.findById(beaId).lean())?.tokenVersion ?? 0;
    expect(await services.users.logoutEverywhere(as(beaId), undefined)).toBe(true);
    expect(await services.users.logoutEverywhere(as(stranger, 'ADMIN'), beaId)).toBe(true);
    expect((await UserModel.findById(beaId).lean())?.tokenVersion).toBe(before + 2);
    const versions = await services.users.tokenVersions(
      testContext({ id: 'service:test', role: 'SERVICE' }, services),
      [beaId, stranger, '0123456789abcdef01234567', 'not-an-id'],
    );
    expect(new Map(versions.map((entry) => [entry.userId, entry.version]))).toEqual(
      new Map([
        [beaId, before + 2],
        [stranger, 0],
      ]),
    );
    expect((await failure(services.users.tokenVersions(as(beaId, 'ADMIN'), [beaId]))).extensions.code).toBe(
      'FORBIDDEN',
    );
  });
});

describe('expired records job', () => {
  it('removes ended sessions and login windows, and nothing else', async () => {
    const live = await auth.login(from('10.7.0.1'), { email: 'ada@example.com', password: 'correct horse' });
    const ended = await auth.login(from('10.7.0.1'), { email: 'ada@example.com', password: 'correct horse' });
    const endedId = ended.refreshToken.split('.')[0];
    await RefreshTokenModel.updateOne({ _id: endedId }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    await failure(auth.login(from('10.7.0.2'), { email: 'ada@example.com', password: 'wrong' }));
    const unexpired = await RefreshTokenModel.countDocuments({ expiresAt: { $gt: new Date() } });
    expect(unexpired).toBeGreaterThan(1);
    // Every login window of this file has ended a second after its length from the windows' now;
    // sessions last 14 days.
    // Registrations and password changes count for an hour: they outlive the login windows.
    const registrations = await LoginAttemptModel.countDocuments({ key: /^(register|password-change):/ });
    expect(await LoginAttemptModel.countDocuments({ key: /^register:/ })).toBeGreaterThan(0);
    expect(await LoginAttemptModel.countDocuments({ key: /^password-change:/ })).toBeGreaterThan(0);
    const windowsOver = Date.now() + clockOffsetMs + (WINDOW_SECONDS + 1) * 1000;
    await new ExpiredRecordsJob([auth], silentLogger).runOnce(new Date(windowsOver));
    expect(await LoginAttemptModel.countDocuments()).toBe(registrations);
    expect(await RefreshTokenModel.countDocuments()).toBe(unexpired);
    expect(await RefreshTokenModel.findById(endedId).lean()).toBeNull();
    expect((await auth.refresh(anonymous, live.refreshToken)).user.email).toBe('ada@example.com');
    const registrationWindowOver = Date.now() + clockOffsetMs + 3_601_000;
    await new ExpiredRecordsJob([auth], silentLogger).runOnce(new Date(registrationWindowOver));
    expect(await LoginAttemptModel.countDocuments()).toBe(0);
  });
});
