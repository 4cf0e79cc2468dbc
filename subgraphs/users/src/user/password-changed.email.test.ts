import { notificationEmail } from '@shop/events';
import { connectTestMongo, createTestTokens, recordingOutbox, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { PasswordResetModel } from '../password-reset/password-reset.model.js';
import { PASSWORD_CHANGED_SUBJECT } from './password-changed.email.js';
import { UserModel } from './user.model.js';

const RESET_URL = 'https://shop.example/reset-password';
const outbox = recordingOutbox();
const services = createUsersServices(createTestTokens(), { PASSWORD_RESET_URL: RESET_URL }, { outbox });
const { auth, passwordResets } = services;
const anonymous = testContext(null, services);
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('users_password_changed');
});
afterAll(() => db.drop());

let accounts = 0;
async function customer() {
  const email = `changed${++accounts}@example.com`;
  const signedIn = await auth.register(anonymous, {
    email,
    password: 'correct horse',
    firstName: 'Grace',
    lastName: 'Hopper',
  });
  // Its confirmation link's email leaves, as the relay would publish it.
  await UserModel.updateOne({ _id: signedIn.user.id }, { $set: { pendingEvents: [] }, $unset: { outboxPending: 1 } });
  return { email, id: signedIn.user.id };
}

/** The account's outbox as stored, each event read as the notifications service will. */
async function storedEmails(id: string) {
  const stored = await UserModel.findById(id).lean<{ outboxPending?: boolean; pendingEvents: unknown[] }>();
  return {
    flagged: stored?.outboxPending === true,
    emails: (stored?.pendingEvents ?? []).map((event) => notificationEmail.schema.parse(event).data),
  };
}

describe('the email a password change sends', () => {
  it('is written with the change, in the account’s own outbox, and handed to the relay as stored', async () => {
    const grace = await customer();
    const before = Date.now();
    await auth.changePassword(testContext({ id: grace.id, role: 'CUSTOMER' }, services), {
      currentPassword: 'correct horse',
      newPassword: 'a brand new secret',
    });
    const { flagged, emails } = await storedEmails(grace.id);
    expect(flagged).toBe(true);
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email).toMatchObject({ userId: grace.id, to: grace.email, subject: PASSWORD_CHANGED_SUBJECT });
    expect(email?.confidential).toBeUndefined();
    const minute = new Date(before).toISOString().slice(0, 16).replace('T', ' at ');
    expect(email?.body).toContain(`was changed on ${minute} UTC, by someone who knew the current password.`);
    expect(email?.body).toContain('Hello Grace,');
    expect(email?.body.split('\n').at(-1)).toBe(RESET_URL);
    const kick = outbox.kicked.findLast((committed) => String(committed.id) === grace.id);
    expect(kick?.model).toBe(UserModel);
    expect(kick?.pendingEvents).toEqual((await UserModel.findById(grace.id).lean())?.pendingEvents);
  });

  it('says when the password was set with an emailed reset link', async () => {
    const grace = await customer();
    expect(await passwordResets.request(anonymous, grace.email)).toBe(true);
    const [link] = await PasswordResetModel.find({ userId: grace.id }).lean();
    const token = /#token=(\S+)$/m.exec(notificationEmail.schema.parse(link?.pendingEvents[0]).data.body)?.[1];
    await passwordResets.reset(anonymous, { token, newPassword: 'a brand new secret' });
    const { emails } = await storedEmails(grace.id);
    expect(emails.map((email) => email.subject)).toEqual([PASSWORD_CHANGED_SUBJECT]);
    expect(emails[0]?.body).toContain('with a password reset link emailed to this address.');
  });

  it('is not written when the password does not change', async () => {
    const grace = await customer();
    const ctx = testContext({ id: grace.id, role: 'CUSTOMER' }, services);
    const refusedOn = (field: string) => ({
      extensions: { code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field })] },
    });
    await expect(
      auth.changePassword(ctx, { currentPassword: 'wrong horse', newPassword: 'a brand new secret' }),
    ).rejects.toMatchObject(refusedOn('currentPassword'));
    await expect(
      auth.changePassword(ctx, { currentPassword: 'correct horse', newPassword: 'short' }),
    ).rejects.toMatchObject(refusedOn('newPassword'));
    expect(await storedEmails(grace.id)).toEqual({ flagged: false, emails: [] });
  });
});
