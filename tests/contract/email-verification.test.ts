// Address confirmation, an addition to CONTRACT.md: every new account is emailed a link (users
// publishes notification.email), `verifyEmail(token)` confirms the address and `User.emailVerified`
// says so; `requestEmailVerification` sends a new link. Driven as a customer, from the mailbox.
import { expect, it } from 'vitest';
import { dataOf, gql } from './gateway.client.js';
import { CONFIRM_SUBJECT, confirmationLink, latestEmail, tokenOfLink } from './mailbox.js';
import { registerCustomer } from './shop.fixture.js';

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
