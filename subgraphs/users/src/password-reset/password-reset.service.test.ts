import { createHash } from 'node:crypto';
import { notificationEmail } from '@shop/events';
import { parseConfig } from '@shop/platform/core';
import {
  codeOf,
  connectTestMongo,
  createTestTokens,
  extensionsOf,
  metricValue,
  offlineOutbox,
  refusalOf,
  silentLogger,
  testContext,
} from '@shop/platform/testing';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiredRecordsJob } from '../auth/expired-records.job.js';
import { usersConfig } from '../config.js';
import { createUsersServices } from '../create-services.js';
import { UserModel } from '../user/user.model.js';
import { PasswordResetModel } from './password-reset.model.js';
import { INVALID_LINK } from './password-reset.service.js';

const tokens = createTestTokens();
const RESET_URL = 'https://shop.example/reset-password';
const services = createUsersServices(
  tokens,
  { PASSWORD_RESET_URL: RESET_URL, REGISTER_LIMIT_PER_IP: 100, PASSWORD_RESET_LIMIT_PER_IP: 1_000 },
  { outbox: offlineOutbox },
);
const { auth, passwordResets } = services;
const from = (clientIp: string) => ({ ...testContext(null, services), clientIp });
const anonymous = from('10.1.0.1');
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('users_password_reset');
});
afterAll(() => db.drop());

const INVALID_LINK_REFUSAL = { code: 'UNAUTHENTICATED', message: INVALID_LINK };

let accounts = 0;
async function customer(password = 'correct horse') {
  const email = `reset${++accounts}@example.com`;
  const signedIn = await auth.register(anonymous, { email, password, firstName: 'Ada', lastName: 'Lovelace' });
  return { email, password, ...signedIn };
}

/** Asks for a link and reads it from the email waiting in its document's outbox (as the relay would publish it). */
async function requestLink(email: string, ctx = anonymous) {
  const before = new Set((await PasswordResetModel.find().select({ _id: 1 }).lean()).map((doc) => doc._id));
  expect(await passwordResets.request(ctx, email)).toBe(true);
  const [stored] = (await PasswordResetModel.find().lean()).filter((doc) => !before.has(doc._id));
  if (!stored) throw new Error('no password reset stored');
  const [event] = stored.pendingEvents;
  const mail = notificationEmail.schema.parse(event);
  const token = /#token=([A-Za-z0-9_-]+)$/m.exec(mail.data.body)?.[1];
  if (!token) throw new Error(`no link in ${mail.data.body}`);
  return { stored, mail, token };
}

describe('requestPasswordReset', () => {
  it('stores the hash of a 256-bit token and, in the same document, an email with the link to the account', async () => {
    const ada = await customer();
    const requestedAt = Date.now();
    const { stored, mail, token } = await requestLink(` ${ada.email.toUpperCase()} `);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored._id).toBe(createHash('sha256').update(token).digest('hex'));
    expect(stored).toMatchObject({ userId: ada.user.id, tokenVersion: 0, outboxPending: true });
    expect(stored.expiresAt.getTime() - requestedAt).toBeGreaterThanOrEqual(30 * 60_000 - 1_000);
    expect(stored.expiresAt.getTime() - requestedAt).toBeLessThanOrEqual(30 * 60_000 + 1_000);
    expect(mail.data).toMatchObject({
      userId: ada.user.id,
      to: ada.email,
      subject: 'Reset your password',
      confidential: true,
      // Not worth sending once the link has expired.
      sendBy: stored.expiresAt.toISOString(),
    });
    expect(mail.data.body).toContain(`${RESET_URL}#token=${token}\n`);
    expect(mail.data.body).toContain('within 30 minutes');
  });

  it('answers true for an address without an account, storing a decoy link that no email carries', async () => {
    const before = new Set((await PasswordResetModel.find().select({ _id: 1 }).lean()).map((doc) => doc._id));
    expect(await passwordResets.request(anonymous, 'nobody@example.com')).toBe(true);
    const added = (await PasswordResetModel.find().lean()).filter((doc) => !before.has(doc._id));
    expect(added).toHaveLength(1);
    expect(added[0]).not.toHaveProperty('userId');
    expect(added[0]?.pendingEvents).toEqual([]);
    expect(added[0]).not.toHaveProperty('outboxPending');
    expect(added[0]?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
  });

  it('refuses a malformed address with BAD_USER_INPUT', async () => {
    expect(await extensionsOf(passwordResets.request(anonymous, 'not-an-email'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'email', message: 'must be an email' }],
    });
  });

  it('refuses past 3 requests per email in the window, for an address with or without an account alike', async () => {
    const ada = await customer();
    for (const email of [ada.email, 'ghost@example.com']) {
      for (let i = 0; i < 3; i++) expect(await passwordResets.request(from(`10.2.0.${i}`), email)).toBe(true);
      expect(await extensionsOf(passwordResets.request(from('10.2.0.9'), email))).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        retryAfter: 3_600,
      });
    }
    expect(await PasswordResetModel.countDocuments({ userId: ada.user.id })).toBe(3);
  });

  it('refuses past PASSWORD_RESET_LIMIT_PER_IP from one address, whatever the emails', async () => {
    const limited = createUsersServices(tokens, { PASSWORD_RESET_LIMIT_PER_IP: 2 }).passwordResets;
    const address = from('10.3.0.1');
    expect(await limited.request(address, 'one@example.com')).toBe(true);
    expect(await limited.request(address, 'two@example.com')).toBe(true);
    expect(await codeOf(limited.request(address, 'three@example.com'))).toBe('TOO_MANY_REQUESTS');
    expect(await limited.request(from('10.3.0.2'), 'three@example.com')).toBe(true);
  });
});

describe('settings', () => {
  it('takes the configuration as main.ts hands it over: a 45m PASSWORD_RESET_TTL is 45 minutes', async () => {
    const secret = 'x'.repeat(32);
    const env = { NODE_ENV: 'test', JWT_SECRET: secret, GATEWAY_SIGNING_SECRETS: secret, PASSWORD_RESET_TTL: '45m' };
    const configured = createUsersServices(tokens, parseConfig(usersConfig, env));
    const ada = await customer();
    const requestedAt = Date.now();
    expect(await configured.passwordResets.request(from('10.8.0.1'), ada.email)).toBe(true);
    const [stored] = await PasswordResetModel.find({ userId: ada.user.id }).lean();
    expect(notificationEmail.schema.parse(stored?.pendingEvents[0]).data.body).toContain('within 45 minutes');
    const lifetime = (stored?.expiresAt.getTime() ?? 0) - requestedAt;
    expect(lifetime).toBeGreaterThanOrEqual(45 * 60_000 - 1_000);
    expect(lifetime).toBeLessThanOrEqual(45 * 60_000 + 1_000);
  });
});

describe('resetPassword', () => {
  it('sets the new password, ends every session and token issued before, and signs this device in', async () => {
    const ada = await customer();
    const { token } = await requestLink(ada.email);
    const signedIn = await passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' });
    expect(signedIn.user).toMatchObject({ id: ada.user.id, email: ada.email });
    expect(await tokens.verify(signedIn.token)).toMatchObject({ id: ada.user.id, tokenVersion: 1 });
    expect(await codeOf(auth.login(anonymous, { email: ada.email, password: ada.password }))).toBe('UNAUTHENTICATED');
    expect((await auth.login(anonymous, { email: ada.email, password: 'new battery staple' })).user.id).toBe(
      ada.user.id,
    );
    expect(await codeOf(auth.refresh(anonymous, ada.refreshToken))).toBe('UNAUTHENTICATED');
    expect((await auth.refresh(anonymous, signedIn.refreshToken)).user.id).toBe(ada.user.id);
    expect((await services.users.currentTokenVersions([ada.user.id])).get(ada.user.id)).toBe(1);
  });

  it('works once', async () => {
    const ada = await customer();
    const { token } = await requestLink(ada.email);
    await passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' });
    expect(await refusalOf(passwordResets.reset(anonymous, { token, newPassword: 'another battery' }))).toEqual(
      INVALID_LINK_REFUSAL,
    );
    expect((await auth.login(anonymous, { email: ada.email, password: 'new battery staple' })).user.id).toBe(
      ada.user.id,
    );
  });

  it('sets the password once when one link is used twice at the same moment', async () => {
    const ada = await customer();
    const { token } = await requestLink(ada.email);
    const outcomes = await Promise.allSettled(
      ['first battery staple', 'second battery staple'].map((newPassword) =>
        passwordResets.reset(from('10.4.0.1'), { token, newPassword }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(await refusalOf(Promise.reject(refused?.reason))).toEqual(INVALID_LINK_REFUSAL);
    expect((await services.users.currentTokenVersions([ada.user.id])).get(ada.user.id)).toBe(1);
  });

  it('voids every link sent before a reset, and any link once the password is changed', async () => {
    const ada = await customer();
    const first = await requestLink(ada.email);
    const second = await requestLink(ada.email);
    await passwordResets.reset(anonymous, { token: second.token, newPassword: 'new battery staple' });
    expect(
      await refusalOf(passwordResets.reset(anonymous, { token: first.token, newPassword: 'x battery staple' })),
    ).toEqual(INVALID_LINK_REFUSAL);
    const third = await requestLink(ada.email, from('10.5.0.1'));
    await auth.changePassword(testContext({ id: ada.user.id, role: 'CUSTOMER', tokenVersion: 1 }, services), {
      currentPassword: 'new battery staple',
      newPassword: 'changed battery staple',
    });
    expect(
      await refusalOf(passwordResets.reset(anonymous, { token: third.token, newPassword: 'y battery staple' })),
    ).toEqual(INVALID_LINK_REFUSAL);
  });

  it('sets the password once when two links of one account are used at the same moment', async () => {
    const ada = await customer();
    const links = [await requestLink(ada.email), await requestLink(ada.email)];
    const outcomes = await Promise.allSettled(
      links.map(({ token }, i) =>
        passwordResets.reset(from('10.4.1.1'), { token, newPassword: `battery staple ${i}` }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(await refusalOf(Promise.reject(refused?.reason))).toEqual(INVALID_LINK_REFUSAL);
    expect((await services.users.currentTokenVersions([ada.user.id])).get(ada.user.id)).toBe(1);
  });

  it('refuses an expired link and an unknown token alike, without hashing anything', async () => {
    const ada = await customer();
    const { token, stored } = await requestLink(ada.email);
    await PasswordResetModel.updateOne({ _id: stored._id }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    expect(await refusalOf(passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' }))).toEqual(
      INVALID_LINK_REFUSAL,
    );
    const unknown = { token: 'A'.repeat(43), newPassword: 'new battery staple' };
    expect(await refusalOf(passwordResets.reset(anonymous, unknown))).toEqual(INVALID_LINK_REFUSAL);
    expect((await auth.login(anonymous, { email: ada.email, password: ada.password })).user.id).toBe(ada.user.id);
  });

  it('refuses a link mailed to an address the account has moved away from since', async () => {
    const ada = await customer();
    const { token } = await requestLink(ada.email);
    const before = await services.users.findAccount(ada.user.id);
    const newEmail = `moved-reset${accounts}@example.com`;
    const ctx = testContext({ id: ada.user.id, role: 'CUSTOMER' }, services);
    await services.emailVerifications.requestChange(ctx, { newEmail, currentPassword: ada.password });
    const stored = await UserModel.findById(ada.user.id).lean();
    const confirmation = (stored?.pendingEvents ?? [])
      .map((event) => notificationEmail.schema.parse(event).data)
      .find((email) => email.to === newEmail);
    await services.emailVerifications.verify(
      anonymous,
      /#token=([A-Za-z0-9_-]{43})$/m.exec(confirmation?.body ?? '')?.[1],
    );
    expect((await services.users.findAccount(ada.user.id))?.user.email).toBe(newEmail);

    expect(await refusalOf(passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' }))).toEqual(
      INVALID_LINK_REFUSAL,
    );
    // A password set from the account as read before the move changes nothing either.
    if (!before) throw new Error('no account');
    expect(await services.users.setPasswordHash(before, 'not a hash', 'reset')).toBeNull();
    expect((await auth.login(anonymous, { email: newEmail, password: ada.password })).user.id).toBe(ada.user.id);
  });

  it('refuses a new password the policy refuses, and the link still works after', async () => {
    const ada = await customer();
    const { token } = await requestLink(ada.email);
    const refused = await extensionsOf(passwordResets.reset(anonymous, { token, newPassword: 'short' }));
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'newPassword' }] });
    await passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' });
  });
});

describe('metrics', () => {
  it('counts requests by outcome (sent, decoy, limited) and resets done or refused', async () => {
    const scrape = async () => {
      const text = await register.metrics();
      return (name: string, outcome: string) => metricValue(text, name, { outcome });
    };
    const before = await scrape();
    const ada = await customer();
    const { token } = await requestLink(ada.email, from('10.9.0.1'));
    await passwordResets.request(from('10.9.0.2'), 'nobody-counted@example.com');
    const limited = createUsersServices(tokens, { PASSWORD_RESET_LIMIT_PER_IP: 1 }).passwordResets;
    await limited.request(from('10.9.0.3'), 'once@example.com');
    await codeOf(limited.request(from('10.9.0.3'), 'twice@example.com'));
    await passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' });
    await codeOf(passwordResets.reset(anonymous, { token, newPassword: 'new battery staple' }));
    const after = await scrape();
    const moved = (name: string, outcome: string) => after(name, outcome) - before(name, outcome);
    expect({
      sent: moved('password_reset_requests_total', 'sent'),
      decoy: moved('password_reset_requests_total', 'decoy'),
      limited: moved('password_reset_requests_total', 'limited'),
      done: moved('password_resets_total', 'done'),
      refused: moved('password_resets_total', 'refused'),
    }).toEqual({ sent: 1, decoy: 2, limited: 1, done: 1, refused: 1 });
  });
});

describe('expired records job', () => {
  it('removes password reset links past their expiry, and only those', async () => {
    const ada = await customer();
    const { stored } = await requestLink(ada.email, from('10.6.0.1'));
    const live = await PasswordResetModel.countDocuments({ expiresAt: { $gt: new Date() } });
    await PasswordResetModel.updateOne({ _id: stored._id }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    await new ExpiredRecordsJob([passwordResets], silentLogger).runOnce(new Date());
    expect(await PasswordResetModel.findById(stored._id).lean()).toBeNull();
    expect(await PasswordResetModel.countDocuments()).toBe(live - 1);
  });
});
