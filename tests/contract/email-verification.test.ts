// Address confirmation, an addition to CONTRACT.md: every new account is emailed a link (users
// publishes notification.email), `verifyEmail(token)` confirms the address and `User.emailVerified`
// says so; `requestEmailVerification` sends a new link; `requestEmailChange` moves an account to a
// new address once a link emailed there is opened. Driven as a customer, from the mailbox.
import { expect, it } from 'vitest';
import { dataOf, gql, rest } from './gateway.client.js';
import {
  arrivedEmail,
  CONFIRM_SUBJECT,
  confirmationLink,
  EMAIL_CHANGE_SUBJECT,
  latestEmail,
  tokenOfLink,
} from './mailbox.js';
import { login, PASSWORD, registerCustomer, uniqueEmail } from './shop.fixture.js';

const VERIFY = 'mutation Confirm($token: String!) { verifyEmail(token: $token) }';
const RESEND = 'mutation { requestEmailVerification }';
const ME = '{ me { emailVerified } }';
const NOTIFICATIONS = '{ notifications(first: 50) { edges { node { subject body status } } } }';

it('emails a new account a link that confirms its address once, from a device not signed in', async () => {
  const customer = await registerCustomer('confirm');
  expect(dataOf(await gql(ME, {}, customer.token)).me.emailVerified).toBe(false);
  const link = await confirmationLink(customer.email);
  expect((await latestEmail(customer.email, CONFIRM_SUBJECT))?.text).toContain('within 3 days');

  expect(dataOf(await gql(VERIFY, { token: tokenOfLink(link) }))).toEqual({ verifyEmail: true });
  expect(dataOf(await gql(ME, {}, customer.token)).me.emailVerified).toBe(true);

  const again = await gql(VERIFY, { token: tokenOfLink(link) });
  expect(again.body.errors[0]).toMatchObject({
    message: 'This email confirmation link is invalid, used or expired; sign in and ask for a new one',
    extensions: { code: 'BAD_USER_INPUT' },
  });
  // Confirmed: nothing more is sent.
  expect(dataOf(await gql(RESEND, {}, customer.token))).toEqual({ requestEmailVerification: false });

  // The customer's notification shows the email without the link.
  const mine = dataOf(await gql(NOTIFICATIONS, {}, customer.token)).notifications.edges.map(
    ({ node }: { node: { subject: string; body: string } }) => node,
  );
  const confirmation = mine.find((notification: { subject: string }) => notification.subject === CONFIRM_SUBJECT);
  expect(confirmation).toMatchObject({ status: 'SENT' });
  expect(confirmation.body).not.toContain(tokenOfLink(link));
});

it('sends a new link on request, which voids the one before', async () => {
  const customer = await registerCustomer('confirm-again');
  const first = await confirmationLink(customer.email);
  expect(dataOf(await gql(RESEND, {}, customer.token))).toEqual({ requestEmailVerification: true });
  await expect.poll(() => confirmationLink(customer.email), { timeout: 30_000 }).not.toBe(first);
  const second = await confirmationLink(customer.email);

  const stale = await gql(VERIFY, { token: tokenOfLink(first) });
  expect(stale.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect(dataOf(await gql(VERIFY, { token: tokenOfLink(second) }))).toEqual({ verifyEmail: true });
  expect(dataOf(await gql(ME, {}, customer.token)).me.emailVerified).toBe(true);
});

it('moves an account to a new address once the link emailed there is opened, telling the address it leaves', async () => {
  const customer = await registerCustomer('move');
  const newEmail = uniqueEmail('moved');
  const CHANGE = 'mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }';
  const wrong = await gql(CHANGE, { input: { newEmail, currentPassword: 'not it' } }, customer.token);
  expect(wrong.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  const asked = await gql(CHANGE, { input: { newEmail, currentPassword: PASSWORD } }, customer.token);
  expect(dataOf(asked)).toEqual({ requestEmailChange: true });

  const notice = await arrivedEmail(customer.email, EMAIL_CHANGE_SUBJECT.requested);
  expect(notice.text).toContain(newEmail);
  const link = await confirmationLink(newEmail);
  const ME_ADDRESS = '{ me { email pendingEmail emailVerified } }';
  expect(dataOf(await gql(ME_ADDRESS, {}, customer.token)).me).toEqual({
    email: customer.email,
    pendingEmail: newEmail,
    emailVerified: false,
  });

  expect(dataOf(await gql(VERIFY, { token: tokenOfLink(link) }))).toEqual({ verifyEmail: true });
  expect(dataOf(await gql(ME_ADDRESS, {}, customer.token)).me).toEqual({
    email: newEmail,
    pendingEmail: null,
    emailVerified: true,
  });
  expect((await arrivedEmail(customer.email, EMAIL_CHANGE_SUBJECT.changed)).text).toContain(
    `from ${customer.email} to ${newEmail}`,
  );
  // The legacy route shows the new address; only the new one signs in.
  expect((await rest('GET', `/users/${customer.id}`, { token: customer.token })).body.email).toBe(newEmail);
  expect((await login(newEmail, PASSWORD)).id).toBe(customer.id);
  const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token } }';
  const old = await gql(LOGIN, { input: { email: customer.email, password: PASSWORD } });
  expect(old.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
});
