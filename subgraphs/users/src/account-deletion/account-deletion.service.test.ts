import { notificationEmail, userDeleted } from '@shop/events';
import {
  codeOf,
  connectTestMongo,
  createTestTokens,
  extensionsOf,
  offlineOutbox,
  testContext,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { PasswordResetModel } from '../password-reset/password-reset.model.js';
import { ensureAdmin } from '../user/admin-bootstrap.js';
import { UserModel } from '../user/user.model.js';

const PASSWORD = 'correct horse';
const tokens = createTestTokens();
const services = createUsersServices(tokens, { REGISTER_LIMIT_PER_IP: 1_000 }, { outbox: offlineOutbox });
const { auth, users, accountDeletions, passwordResets, emailVerifications } = services;
const anonymous = testContext(null, services);
// A new request each time: a request's reads of one account are batched and kept for the request.
const asAdmin = () => testContext({ id: 'admin', role: 'ADMIN' }, services);
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('users_account_deletion');
});
afterAll(() => db.drop());

let accounts = 0;
async function customer() {
  const email = `leaving${++accounts}@example.com`;
  const signedIn = await auth.register(anonymous, {
    email,
    password: PASSWORD,
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+14155550100',
  });
  const ctx = testContext({ id: signedIn.user.id, role: 'CUSTOMER' }, services);
  return { email, id: signedIn.user.id, refreshToken: signedIn.refreshToken, ctx };
}

/** The token of the newest reset link emailed to this account (as the relay would publish it). */
async function resetToken(userId: string) {
  const [link] = await PasswordResetModel.find({ userId }).sort({ createdAt: -1 }).limit(1).lean();
  const email = notificationEmail.schema.parse(link?.pendingEvents[0]);
  return /#token=([A-Za-z0-9_-]+)$/m.exec(email.data.body)?.[1];
}

describe('deleteMe', () => {
  it('erases the account after the current password; it never signs in again, and its address is free', async () => {
    const ada = await customer();
    expect(await extensionsOf(accountDeletions.deleteMe(ada.ctx, 'not it'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'currentPassword', message: 'is wrong' }],
    });
    expect((await users.findById(asAdmin(), ada.id)).deletedAt).toBeNull();

    expect(await accountDeletions.deleteMe(ada.ctx, PASSWORD)).toBe(true);
    const stored = await UserModel.findById(ada.id).select('+passwordHash').lean();
    expect(stored).toMatchObject({
      email: `deleted-${ada.id}@deleted.invalid`,
      firstName: 'Deleted',
      lastName: 'Account',
      tokenVersion: 1,
    });
    expect(stored?.deletedAt).toBeInstanceOf(Date);
    expect(stored).not.toHaveProperty('phone');
    expect(stored).not.toHaveProperty('emailVerificationHash');
    expect(JSON.stringify(stored)).not.toMatch(/Ada|Lovelace|4155550100|leaving/);
    // Written with the erasure, for the services that keep what the account said about its owner.
    expect(stored?.pendingEvents.map((event) => userDeleted.schema.parse(event).data)).toEqual([{ userId: ada.id }]);
    // Admins (and orders naming it) still read the account, anonymous.
    expect(await users.findById(asAdmin(), ada.id)).toMatchObject({ firstName: 'Deleted', phone: null });

    const signIn = (email: string) => codeOf(auth.login(anonymous, { email, password: PASSWORD }));
    expect(await signIn(ada.email)).toBe('UNAUTHENTICATED');
    expect(await signIn(`deleted-${ada.id}@deleted.invalid`)).toBe('UNAUTHENTICATED');
    expect(await codeOf(auth.refresh(anonymous, ada.refreshToken))).toBe('UNAUTHENTICATED');

    // No reset link for the erased address; the address itself registers a new account.
    await passwordResets.request(anonymous, `deleted-${ada.id}@deleted.invalid`);
    expect(await PasswordResetModel.countDocuments({ userId: ada.id })).toBe(0);
    const again = await auth.register(anonymous, {
      email: ada.email,
      password: PASSWORD,
      firstName: 'Ada',
      lastName: 'Again',
    });
    expect(again.user.id).not.toBe(ada.id);
  });

  it("lets nobody take an erased account's address in advance, so no erasure can fail on it", async () => {
    const [ada, mallory] = [await customer(), await customer()];
    const erased = `deleted-${ada.id}@deleted.invalid`;
    const account = { password: PASSWORD, firstName: 'Mallory', lastName: 'Early' };
    for (const email of [erased, erased.toUpperCase(), 'anyone@example.invalid']) {
      expect(await codeOf(auth.register(anonymous, { ...account, email }))).toBe('BAD_USER_INPUT');
      const change = emailVerifications.requestChange(mallory.ctx, { newEmail: email, currentPassword: PASSWORD });
      expect(await codeOf(change)).toBe('BAD_USER_INPUT');
    }
    expect(await accountDeletions.deleteMe(ada.ctx, PASSWORD)).toBe(true);
    expect((await UserModel.findById(ada.id).lean())?.email).toBe(erased);
  });

  it('voids a reset link sent before: it cannot bring the account back', async () => {
    const ada = await customer();
    await passwordResets.request(anonymous, ada.email);
    const token = await resetToken(ada.id);
    expect(token).toBeDefined();
    await accountDeletions.deleteMe(ada.ctx, PASSWORD);
    expect(await codeOf(passwordResets.reset(anonymous, { token, newPassword: 'taken back at last' }))).toBe(
      'UNAUTHENTICATED',
    );
    expect((await UserModel.findById(ada.id).lean())?.tokenVersion).toBe(1);
    // Nor does anything keep the address it was sent to, or the email not sent yet.
    expect(await PasswordResetModel.countDocuments({ userId: ada.id })).toBe(0);
  });

  it('is refused to anonymous callers and to an admin, whose account stays', async () => {
    expect(await codeOf(accountDeletions.deleteMe(anonymous, PASSWORD))).toBe('UNAUTHENTICATED');
    await ensureAdmin('boss@example.com', 'the admin password');
    const boss = await UserModel.findOne({ email: 'boss@example.com' }).lean();
    const ctx = testContext({ id: String(boss?._id), role: 'ADMIN' }, services);
    expect(await extensionsOf(accountDeletions.deleteMe(ctx, 'the admin password'))).toMatchObject({
      code: 'CONFLICT',
    });
    expect(await UserModel.findById(boss?._id).lean()).not.toHaveProperty('deletedAt');
  });
});

describe('an erased account, reached with a token from before', () => {
  it('takes no names or phone back: they stay erased', async () => {
    const ada = await customer();
    expect(await accountDeletions.deleteMe(ada.ctx, PASSWORD)).toBe(true);
    const erased = await UserModel.findById(ada.id).lean();
    const change = { firstName: 'Ada', lastName: 'Lovelace', phone: '+14155550100' };
    expect(await codeOf(users.updateMe(ada.ctx, change))).toBe('NOT_FOUND');
    expect(await UserModel.findById(ada.id).lean()).toEqual(erased);
  });

  it('gets no confirmation link from a request that read it before its erasure', async () => {
    const ada = await customer();
    const account = await users.findAccount(ada.id);
    if (!account) throw new Error(`no account ${ada.id}`);
    expect(await accountDeletions.deleteMe(ada.ctx, PASSWORD)).toBe(true);
    const erased = await UserModel.findById(ada.id).lean();
    expect(await users.renewEmailVerification(account)).toBe(false);
    expect(await UserModel.findById(ada.id).lean()).toEqual(erased);
  });

  it('is not deleted by deleteMe once made an admin, whatever role the token says', async () => {
    const ada = await customer();
    await users.setRole(asAdmin(), ada.id, 'ADMIN');
    expect(await codeOf(accountDeletions.deleteMe(ada.ctx, PASSWORD))).toBe('CONFLICT');
    expect(await UserModel.findById(ada.id).lean()).not.toHaveProperty('deletedAt');
  });
});

describe('deleteUser', () => {
  it("lets an admin delete a customer's account, once; not an admin's, and not as a customer", async () => {
    const [ada, bea] = [await customer(), await customer()];
    expect(await codeOf(accountDeletions.deleteUser(bea.ctx, ada.id))).toBe('FORBIDDEN');
    expect(await accountDeletions.deleteUser(asAdmin(), ada.id)).toBe(true);
    const erased = await UserModel.findById(ada.id).lean();
    expect(erased).toMatchObject({ email: `deleted-${ada.id}@deleted.invalid`, tokenVersion: 1 });
    // Again: nothing more is written, no second user.deleted.
    expect(await accountDeletions.deleteUser(asAdmin(), ada.id)).toBe(true);
    expect(await UserModel.findById(ada.id).lean()).toEqual(erased);
    expect(await codeOf(accountDeletions.deleteUser(asAdmin(), '64b000000000000000000000'))).toBe('NOT_FOUND');
    expect(await codeOf(accountDeletions.deleteUser(asAdmin(), 'not-an-id'))).toBe('NOT_FOUND');
    await ensureAdmin('chief@example.com', 'the admin password');
    const chief = await UserModel.findOne({ email: 'chief@example.com' }).lean();
    expect(await codeOf(accountDeletions.deleteUser(asAdmin(), String(chief?._id)))).toBe('CONFLICT');
    expect((await UserModel.findById(bea.id).lean())?.deletedAt).toBeUndefined();
  });
});
