import { notificationEmail } from '@shop/events';
import { parseConfig } from '@shop/platform/core';
import {
  codeOf,
  connectTestMongo,
  createTestTokens,
  extensionsOf,
  metricValue,
  recordingOutbox,
  refusalOf,
  testContext,
} from '@shop/platform/testing';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretTokenHash } from '../auth/secret-token.js';
import { usersConfig } from '../config.js';
import { createUsersServices } from '../create-services.js';
import { UserModel } from '../user/user.model.js';
import { EMAIL_CHANGE_SUBJECT } from './email-change.email.js';
import { CONFIRM_EMAIL_SUBJECT } from './email-verification.link.js';
import { INVALID_CONFIRMATION } from './email-verification.service.js';

const VERIFY_URL = 'https://shop.example/verify-email';
const outbox = recordingOutbox();
const tokens = createTestTokens();
const services = createUsersServices(
  tokens,
  { EMAIL_VERIFICATION_URL: VERIFY_URL, REGISTER_LIMIT_PER_IP: 1_000 },
  { outbox },
);
const { users, emailVerifications } = services;
const anonymous = testContext(null, services);
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('users_email_verification');
});
afterAll(() => db.drop());

let accounts = 0;
async function customer(registeredBy = services) {
  const email = `verify${++accounts}@example.com`;
  const { user } = await registeredBy.auth.register(anonymous, {
    email,
    password: 'correct horse',
    firstName: 'Ada',
    lastName: 'Lovelace',
  });
  return { email, id: user.id, ctx: testContext({ id: user.id, role: 'CUSTOMER' }, services) };
}

/** The confirmation emails waiting in the account's outbox (as the relay would publish them), newest last. */
async function confirmations(id: string) {
  const stored = await UserModel.findById(id).lean();
  return (stored?.pendingEvents ?? [])
    .map((event) => notificationEmail.schema.parse(event).data)
    .filter((email) => email.subject === CONFIRM_EMAIL_SUBJECT)
    .map((email) => ({ ...email, token: /#token=([A-Za-z0-9_-]{43})$/m.exec(email.body)?.[1] ?? '' }));
}

/** The notices of an address change waiting in the account's outbox, oldest first. */
async function changeNotices(id: string) {
  const stored = await UserModel.findById(id).lean();
  const subjects: string[] = Object.values(EMAIL_CHANGE_SUBJECT);
  return (stored?.pendingEvents ?? [])
    .map((event) => notificationEmail.schema.parse(event).data)
    .filter((email) => subjects.includes(email.subject));
}

const INVALID = { code: 'BAD_USER_INPUT', message: INVALID_CONFIRMATION };

describe('registration', () => {
  it('emails a new account a link to confirm its address, in the same insert, keeping only the token’s hash', async () => {
    const registeredAt = Date.now();
    const ada = await customer();
    const [email, ...others] = await confirmations(ada.id);
    expect(others).toEqual([]);
    expect(email).toMatchObject({ userId: ada.id, to: ada.email, confidential: true });
    expect(email?.body).toContain(`${VERIFY_URL}#token=${email?.token}`);
    expect(email?.body).toContain('within 3 days');
    const stored = await UserModel.findById(ada.id).lean();
    expect(stored?.emailVerificationHash).toBe(secretTokenHash(email?.token ?? ''));
    const { pendingEvents: _email, ...account } = stored ?? {};
    expect(JSON.stringify(account)).not.toContain(email?.token);
    const lifetime = (stored?.emailVerificationExpiresAt?.getTime() ?? 0) - registeredAt;
    expect(lifetime).toBeGreaterThanOrEqual(3 * 86_400_000 - 1_000);
    expect(lifetime).toBeLessThanOrEqual(3 * 86_400_000 + 1_000);
    // Not worth sending once the link has expired.
    expect(email?.sendBy).toBe(stored?.emailVerificationExpiresAt?.toISOString());
    expect((await users.me(ada.ctx))?.emailVerified).toBe(false);
    const kick = outbox.kicked.find((committed) => String(committed.id) === ada.id);
    expect(kick?.pendingEvents).toEqual(stored?.pendingEvents);
  });

  it('takes the configuration as main.ts hands it over: a 45m EMAIL_VERIFICATION_TTL is 45 minutes', async () => {
    const secret = 'x'.repeat(32);
    const env = {
      NODE_ENV: 'test',
      JWT_SECRET: secret,
      GATEWAY_SIGNING_SECRETS: secret,
      EMAIL_VERIFICATION_TTL: '45m',
    };
    const configured = createUsersServices(tokens, parseConfig(usersConfig, env));
    const ada = await customer(configured);
    expect((await confirmations(ada.id))[0]?.body).toContain('within 45 minutes');
  });
});

describe('verifyEmail', () => {
  it('confirms the address once, from any device, and forgets the link', async () => {
    const ada = await customer();
    const [email] = await confirmations(ada.id);
    expect(await emailVerifications.verify(anonymous, email?.token)).toBe(true);
    expect((await users.me(ada.ctx))?.emailVerified).toBe(true);
    const stored = await UserModel.findById(ada.id).lean();
    expect(stored?.emailVerifiedAt).toBeInstanceOf(Date);
    expect(stored).not.toHaveProperty('emailVerificationHash');
    expect(await refusalOf(emailVerifications.verify(anonymous, email?.token))).toEqual(INVALID);
    expect((await users.me(ada.ctx))?.emailVerified).toBe(true);
  });

  it('confirms once when the link is opened twice at the same moment', async () => {
    const ada = await customer();
    const [email] = await confirmations(ada.id);
    const outcomes = await Promise.allSettled([1, 2].map(() => emailVerifications.verify(anonymous, email?.token)));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await users.me(ada.ctx))?.emailVerified).toBe(true);
  });

  it('refuses an expired link, an unknown token and a missing one alike, naming the token', async () => {
    const ada = await customer();
    const [email] = await confirmations(ada.id);
    await UserModel.updateOne({ _id: ada.id }, { $set: { emailVerificationExpiresAt: new Date(Date.now() - 1) } });
    expect(await refusalOf(emailVerifications.verify(anonymous, email?.token))).toEqual(INVALID);
    expect(await refusalOf(emailVerifications.verify(anonymous, 'A'.repeat(43)))).toEqual(INVALID);
    expect(await extensionsOf(emailVerifications.verify(anonymous, ''))).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'token', message: 'is required' }],
    });
    expect((await users.me(ada.ctx))?.emailVerified).toBe(false);
  });
});

describe('requestEmailVerification', () => {
  it('emails a new link that voids the one before; once confirmed, answers false and sends nothing', async () => {
    const ada = await customer();
    expect(await emailVerifications.resend(ada.ctx)).toBe(true);
    const [first, second] = await confirmations(ada.id);
    expect(second?.token).not.toBe(first?.token);
    expect(await refusalOf(emailVerifications.verify(anonymous, first?.token))).toEqual(INVALID);
    expect(await emailVerifications.verify(anonymous, second?.token)).toBe(true);
    expect(await emailVerifications.resend(ada.ctx)).toBe(false);
    expect(await confirmations(ada.id)).toHaveLength(2);
  });

  it('is for a signed-in account only, and refused past the limit per account', async () => {
    expect(await codeOf(emailVerifications.resend(anonymous))).toBe('UNAUTHENTICATED');
    const limited = createUsersServices(tokens, { PASSWORD_RESET_LIMIT_PER_EMAIL: 2, REGISTER_LIMIT_PER_IP: 1_000 });
    const ada = await customer(limited);
    const ctx = testContext({ id: ada.id, role: 'CUSTOMER' }, limited);
    expect(await limited.emailVerifications.resend(ctx)).toBe(true);
    expect(await limited.emailVerifications.resend(ctx)).toBe(true);
    expect(await extensionsOf(limited.emailVerifications.resend(ctx))).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await confirmations(ada.id)).toHaveLength(3);
  });
});

describe('requestEmailChange', () => {
  const PASSWORD = 'correct horse';

  it('needs the current password; a wrong one is refused like a login and changes nothing', async () => {
    const ada = await customer();
    const change = { newEmail: 'ada.new@example.com', currentPassword: 'not it' };
    expect(await codeOf(emailVerifications.requestChange(anonymous, { ...change, currentPassword: PASSWORD }))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await extensionsOf(emailVerifications.requestChange(ada.ctx, change))).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'currentPassword', message: 'is wrong' }],
    });
    expect(
      await extensionsOf(emailVerifications.requestChange(ada.ctx, { ...change, newEmail: 'nope' })),
    ).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'newEmail', message: 'must be an email' }] });
    expect(await confirmations(ada.id)).toHaveLength(1);
    expect(await changeNotices(ada.id)).toEqual([]);
    expect((await users.me(ada.ctx))?.pendingEmail).toBeNull();
  });

  it('emails the new address a link and tells the current one; the address changes only when the link is opened', async () => {
    const ada = await customer();
    const newEmail = `moved${accounts}@example.com`;
    expect(
      await emailVerifications.requestChange(ada.ctx, {
        newEmail: ` ${newEmail.toUpperCase()} `,
        currentPassword: PASSWORD,
      }),
    ).toBe(true);
    const [, link, ...others] = await confirmations(ada.id);
    expect(others).toEqual([]);
    expect(link).toMatchObject({ userId: ada.id, to: newEmail, confidential: true });
    expect(link?.body).toContain(`confirm that ${newEmail} is the new email address of your shop account`);
    const [asked] = await changeNotices(ada.id);
    expect(asked).toMatchObject({ to: ada.email, subject: EMAIL_CHANGE_SUBJECT.requested });
    expect(asked?.body).toContain(`to ${newEmail}`);
    expect(asked?.confidential).toBeFalsy();
    expect(await users.me(ada.ctx)).toMatchObject({ email: ada.email, pendingEmail: newEmail, emailVerified: false });
    const kick = outbox.kicked.findLast((committed) => String(committed.id) === ada.id);
    expect(kick?.pendingEvents).toHaveLength(3);

    expect(await emailVerifications.verify(anonymous, link?.token)).toBe(true);
    expect(await users.me(ada.ctx)).toMatchObject({ email: newEmail, pendingEmail: null, emailVerified: true });
    const [, done] = await changeNotices(ada.id);
    expect(done).toMatchObject({ to: ada.email, subject: EMAIL_CHANGE_SUBJECT.changed });
    expect(done?.body).toContain(`from ${ada.email} to ${newEmail}`);
    expect(await refusalOf(emailVerifications.verify(anonymous, link?.token))).toEqual(INVALID);
    const signIn = (email: string) => codeOf(services.auth.login(anonymous, { email, password: PASSWORD }));
    expect(await signIn(newEmail)).toBe('resolved');
    expect(await signIn(ada.email)).toBe('UNAUTHENTICATED');
  });

  it('refuses the current address and one of another account, also when it is registered before the link is opened', async () => {
    const ada = await customer();
    const bea = await customer();
    const to = (newEmail: string) =>
      extensionsOf(emailVerifications.requestChange(ada.ctx, { newEmail, currentPassword: PASSWORD }));
    expect(await to(ada.email)).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'newEmail' }] });
    expect(await to(bea.email)).toMatchObject({ code: 'CONFLICT', field: 'newEmail' });
    const wanted = `wanted${accounts}@example.com`;
    expect(await to(wanted)).toBeUndefined();
    const [, link] = await confirmations(ada.id);
    await services.auth.register(anonymous, { email: wanted, password: PASSWORD, firstName: 'Cy', lastName: 'Quick' });
    expect(await extensionsOf(emailVerifications.verify(anonymous, link?.token))).toMatchObject({
      code: 'CONFLICT',
      field: 'token',
    });
    expect(await users.me(ada.ctx)).toMatchObject({ email: ada.email });
  });

  it('is voided by a password change, signing out everywhere or a new link for the current address', async () => {
    const voids = {
      password: (ada: Awaited<ReturnType<typeof customer>>) =>
        services.auth.changePassword(ada.ctx, { currentPassword: PASSWORD, newPassword: PASSWORD }),
      logout: (ada: Awaited<ReturnType<typeof customer>>) => users.logoutEverywhere(ada.ctx, null),
      link: (ada: Awaited<ReturnType<typeof customer>>) => emailVerifications.resend(ada.ctx),
    };
    for (const [what, voidIt] of Object.entries(voids)) {
      const ada = await customer();
      const newEmail = `void-${what}${accounts}@example.com`;
      await emailVerifications.requestChange(ada.ctx, { newEmail, currentPassword: PASSWORD });
      const link = (await confirmations(ada.id)).find((email) => email.to === newEmail);
      await voidIt(ada);
      expect({ what, refusal: await refusalOf(emailVerifications.verify(anonymous, link?.token)) }).toEqual({
        what,
        refusal: INVALID,
      });
      const stored = await UserModel.findById(ada.id).lean();
      expect({ what, email: stored?.email }).toEqual({ what, email: ada.email });
    }
  });

  it('counts the changes one account asks for, a wrong password included, before the password is checked', async () => {
    const limited = createUsersServices(tokens, { PASSWORD_RESET_LIMIT_PER_EMAIL: 2, REGISTER_LIMIT_PER_IP: 1_000 });
    const ada = await customer(limited);
    const ctx = testContext({ id: ada.id, role: 'CUSTOMER' }, limited);
    const ask = (to: string, currentPassword = PASSWORD) =>
      codeOf(
        limited.emailVerifications.requestChange(ctx, { newEmail: `${to}${accounts}@example.com`, currentPassword }),
      );
    expect([await ask('first', 'not it'), await ask('second'), await ask('third')]).toEqual([
      'BAD_USER_INPUT',
      'resolved',
      'TOO_MANY_REQUESTS',
    ]);
    expect((await confirmations(ada.id)).map((email) => email.to)).toEqual([
      ada.email,
      `second${accounts}@example.com`,
    ]);
  });

  it('sends links to one address up to the limit, whoever asks', async () => {
    const limited = createUsersServices(tokens, { PASSWORD_RESET_LIMIT_PER_EMAIL: 2, REGISTER_LIMIT_PER_IP: 1_000 });
    const newEmail = `popular${accounts}@example.com`;
    const ask = async () => {
      const someone = await customer(limited);
      const ctx = testContext({ id: someone.id, role: 'CUSTOMER' }, limited);
      return codeOf(limited.emailVerifications.requestChange(ctx, { newEmail, currentPassword: PASSWORD }));
    };
    expect([await ask(), await ask(), await ask()]).toEqual(['resolved', 'resolved', 'TOO_MANY_REQUESTS']);
  });

  it("refuses an account's address before counting its links: asking for it leaves its owner's budget alone", async () => {
    const limited = createUsersServices(tokens, { PASSWORD_RESET_LIMIT_PER_EMAIL: 2, REGISTER_LIMIT_PER_IP: 1_000 });
    const [ada, bea] = [await customer(limited), await customer(limited)];
    const adaCtx = testContext({ id: ada.id, role: 'CUSTOMER' }, limited);
    const ask = () =>
      codeOf(limited.emailVerifications.requestChange(adaCtx, { newEmail: bea.email, currentPassword: PASSWORD }));
    expect([await ask(), await ask()]).toEqual(['CONFLICT', 'CONFLICT']);
    const beaCtx = testContext({ id: bea.id, role: 'CUSTOMER' }, limited);
    expect(await limited.emailVerifications.resend(beaCtx)).toBe(true);
  });
});

describe('expired links', () => {
  const LINK = ['emailVerificationHash', 'emailVerificationExpiresAt', 'emailVerificationExpiresHour', 'pendingEmail'];
  const linkFieldsOf = async (id: string) => {
    const stored = (await UserModel.findById(id).lean()) as Record<string, unknown> | null;
    return LINK.filter((field) => stored?.[field] !== undefined);
  };

  it('are cleared with the address a change would have moved to; a link not due stays', async () => {
    // A purge of its own: the service's keeps the hour it last ran in.
    const own = createUsersServices(tokens, { EMAIL_VERIFICATION_URL: VERIFY_URL, REGISTER_LIMIT_PER_IP: 1_000 }, {});
    const unconfirmed = await customer();
    const moving = await customer();
    await emailVerifications.requestChange(moving.ctx, {
      newEmail: `typo-${moving.email}`,
      currentPassword: 'correct horse',
    });
    expect(await linkFieldsOf(unconfirmed.id)).toEqual(LINK.slice(0, 3));
    expect(await linkFieldsOf(moving.id)).toEqual(LINK);
    const expiresAt = (await UserModel.findById(moving.id).lean())?.emailVerificationExpiresAt as Date;

    await own.emailVerifications.purgeExpired(new Date()); // the first run, by range: nothing due yet
    expect(await linkFieldsOf(moving.id)).toEqual(LINK);
    const later = new Date(expiresAt.getTime() + 60_000);
    expect((await own.emailVerifications.purgeExpired(later)).emailLinks).toBeGreaterThanOrEqual(2);
    expect([await linkFieldsOf(unconfirmed.id), await linkFieldsOf(moving.id)]).toEqual([[], []]);
    const kept = await UserModel.findById(moving.id).lean();
    expect([kept?.email, kept?.emailVerifiedAt]).toEqual([moving.email, undefined]);
  });
});

describe('metrics', () => {
  it('counts links sent (at registration and asked for again), addresses confirmed and links refused', async () => {
    const scrape = async () => {
      const text = await register.metrics();
      return (outcome: string) => metricValue(text, 'email_confirmations_total', { outcome });
    };
    const before = await scrape();
    const ada = await customer();
    await emailVerifications.resend(ada.ctx);
    const [, email] = await confirmations(ada.id);
    await emailVerifications.verify(anonymous, email?.token);
    await codeOf(emailVerifications.verify(anonymous, email?.token));
    const after = await scrape();
    const moved = (outcome: string) => after(outcome) - before(outcome);
    expect({ sent: moved('sent'), confirmed: moved('confirmed'), refused: moved('refused') }).toEqual({
      sent: 2,
      confirmed: 1,
      refused: 1,
    });
  });
});
