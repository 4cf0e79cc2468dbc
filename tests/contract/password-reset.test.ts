// Forgotten and changed passwords, an addition to CONTRACT.md: `requestPasswordReset` emails a link
// through the notifications service (users publishes notification.email), `resetPassword` sets the
// new password with the link's token, and every password change is told to the account by email.
// Driven as a customer: the link and the notices are read from the mailbox.
import { eventually } from '@shop/platform/testing';
import { expect, it } from 'vitest';
import { bodyOf, dataOf, errorCode, gql, rest } from './gateway.client.js';
import { arrivedEmail, latestEmail, PASSWORD_CHANGED_SUBJECT, RESET_SUBJECT, resetLinkToken } from './mailbox.js';
import { login, PASSWORD, registerCustomer, uniqueEmail } from './shop.fixture.js';

const REQUEST = 'mutation Forgot($email: String!) { requestPasswordReset(email: $email) }';
const RESET = `mutation NewPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { token refreshToken user { id email } }
}`;
const REFRESH = 'mutation Refresh($token: String!) { refreshToken(token: $token) { token } }';
const NOTIFICATIONS = '{ notifications(first: 50) { edges { node { subject body status } } } }';

it('emails a link whose token sets a new password once, ending every earlier session, and tells of each change', async () => {
  const customer = await registerCustomer('forgot');
  const elsewhere = await login(customer.email, PASSWORD);
  expect(dataOf(await gql(REQUEST, { email: customer.email.toUpperCase() }))).toEqual({ requestPasswordReset: true });
  const token = await resetLinkToken(customer.email);
  // The stack's default lifetime, said in the email.
  expect((await latestEmail(customer.email, RESET_SUBJECT))?.text).toContain('within 30 minutes');

  const newPassword = 'a brand new passphrase';
  const signedIn = bodyOf(await rest('POST', '/users/password-reset/confirm', { body: { token, newPassword } }), 200);
  expect(signedIn.user).toMatchObject({ id: customer.id, email: customer.email });
  expect(dataOf(await gql('{ me { id } }', {}, signedIn.token)).me.id).toBe(customer.id);
  expect((await login(customer.email, newPassword)).id).toBe(customer.id);
  expect(errorCode(await gql(REFRESH, { token: elsewhere.refreshToken }))).toBe('UNAUTHENTICATED');
  const oldPassword = await gql('mutation($input: LoginInput!) { login(input: $input) { token } }', {
    input: { email: customer.email, password: PASSWORD },
  });
  expect(errorCode(oldPassword)).toBe('UNAUTHENTICATED');

  // The link works once.
  const again = await gql(RESET, { input: { token, newPassword: 'yet another passphrase' } });
  expect(errorCode(again)).toBe('UNAUTHENTICATED');
  expect(again.body.errors[0].message).toBe('This password reset link is invalid, used or expired; ask for a new one');

  // The account is told of the change, and where to take it back; and of a change with the password.
  const notice = await arrivedEmail(customer.email, PASSWORD_CHANGED_SUBJECT);
  expect(notice.text).toContain('with a password reset link emailed to this address');
  expect(notice.text).toMatch(/\/reset-password\s*$/);
  const changed = await gql(
    'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }',
    { input: { currentPassword: newPassword, newPassword: 'a second new passphrase' } },
    signedIn.token,
  );
  expect(dataOf(changed).changePassword.token).toEqual(expect.any(String));
  await eventually(async () =>
    (await latestEmail(customer.email, PASSWORD_CHANGED_SUBJECT))?.text.includes(
      'by someone who knew the current password',
    ),
  );

  // The customer's notification shows the email without the link.
  const mine = dataOf(await gql(NOTIFICATIONS, {}, dataOf(changed).changePassword.token)).notifications.edges.map(
    ({ node }: { node: { subject: string; body: string } }) => node,
  );
  const reset = mine.find((notification: { subject: string }) => notification.subject === RESET_SUBJECT);
  expect(reset).toMatchObject({ status: 'SENT' });
  expect(reset.body).not.toContain(token);
  // The notices hold no secret: kept as sent.
  const notices = mine.filter((notification: { subject: string }) => notification.subject === PASSWORD_CHANGED_SUBJECT);
  expect(notices.map((notification: { body: string }) => notification.body).join('\n')).toContain(
    'with a password reset link emailed to this address',
  );
});

it('answers the same for an address without an account, over GraphQL and REST, and sends nothing', async () => {
  const nobody = uniqueEmail('nobody');
  expect(dataOf(await gql(REQUEST, { email: nobody }))).toEqual({ requestPasswordReset: true });
  expect(bodyOf(await rest('POST', '/users/password-reset', { body: { email: nobody } }), 202)).toEqual({
    accepted: true,
  });
  // A customer's request made after them arrives; theirs never does.
  const customer = await registerCustomer('forgot-rest');
  expect(bodyOf(await rest('POST', '/users/password-reset', { body: { email: customer.email } }), 202)).toEqual({
    accepted: true,
  });
  await resetLinkToken(customer.email);
  expect(await latestEmail(nobody, RESET_SUBJECT)).toBeUndefined();
});

it('refuses an unknown token with a 401 problem, and a malformed body with a 400 one', async () => {
  const unknown = await rest('POST', '/users/password-reset/confirm', {
    body: { token: 'A'.repeat(43), newPassword: 'a brand new passphrase' },
  });
  expect(unknown.status).toBe(401);
  expect(unknown.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  expect((await rest('POST', '/users/password-reset', { body: { email: 'not-an-email' } })).status).toBe(400);
});
