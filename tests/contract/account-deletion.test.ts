// Account deletion, an addition to CONTRACT.md: `deleteMe(currentPassword)` erases what the account
// says about its owner and ends every token and session; the shop's orders keep naming the
// anonymous account (its unpaid ones cancelled, their stock back; its paid ones fulfilled), and the
// address may register again. Driven as a customer and an admin.
import { expect, it } from 'vitest';
import { dataOf, errorCode, gql, rest } from './gateway.client.js';
import {
  createProduct,
  login,
  loginAdmin,
  orderWhen,
  PASSWORD,
  pay,
  placeOrder,
  registerCustomer,
} from './shop.fixture.js';

const DELETE = 'mutation($password: String!) { deleteMe(currentPassword: $password) }';
const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token } }';
const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { user { id } } }';

it('erases the account after the current password; the orders stay, naming the anonymous account', async () => {
  const admin = await loginAdmin();
  const product = await createProduct(admin.token);
  const customer = await registerCustomer('leaving');
  const paid = await placeOrder(customer.token, product.id, 2);
  await pay(customer.token, paid.id);
  await orderWhen(customer.token, paid.id, (order) => order.status === 'PAID');
  const order = await placeOrder(customer.token, product.id, 3);
  const inventory = async () =>
    dataOf(await gql('query($id: ID!) { product(id: $id) { inventory } }', { id: product.id })).product.inventory;
  expect(await inventory()).toBe(995);

  expect(errorCode(await gql(DELETE, { password: 'not it' }, customer.token))).toBe('BAD_USER_INPUT');
  expect(dataOf(await gql(DELETE, { password: PASSWORD }, customer.token))).toEqual({ deleteMe: true });

  // Every token ends within the revocation delay (TOKEN_VERSION_CACHE_MS), and the password with the account.
  await expect
    .poll(async () => errorCode(await gql('{ me { id } }', {}, customer.token)), { timeout: 15_000 })
    .toBe('UNAUTHENTICATED');
  expect(errorCode(await gql(LOGIN, { input: { email: customer.email, password: PASSWORD } }))).toBe('UNAUTHENTICATED');
  expect(
    errorCode(
      await gql('mutation($t: String!) { refreshToken(token: $t) { token } }', {
        t: customer.refreshToken,
      }),
    ),
  ).toBe('UNAUTHENTICATED');

  const kept = await gql(
    'query($id: ID!) { order(id: $id) { id status user { id email firstName lastName phone deletedAt } } }',
    { id: order.id },
    admin.token,
  );
  const { user } = dataOf(kept).order;
  // Nobody can pay the unpaid order any more: cancelled, and its stock is for sale again.
  expect((await orderWhen(admin.token, order.id, (o) => o.status === 'CANCELLED')).status).toBe('CANCELLED');
  await expect.poll(inventory, { timeout: 15_000 }).toBe(998);
  expect((await orderWhen(admin.token, paid.id, () => true)).status).toBe('PAID');
  expect(user).toMatchObject({ id: customer.id, firstName: 'Deleted', lastName: 'Account', phone: null });
  expect(user.email).not.toBe(customer.email);
  expect(Date.parse(user.deletedAt)).not.toBeNaN();
  expect((await rest('GET', `/users/${customer.id}`, { token: admin.token })).body.email).toBe(user.email);

  const input = { email: customer.email, password: PASSWORD, firstName: 'Back', lastName: 'Again' };
  const again = dataOf(await gql(REGISTER, { input }));
  expect(again.register.user.id).not.toBe(customer.id);
});

it('keeps an admin account (CONFLICT): another admin makes it a customer first', async () => {
  const admin = await loginAdmin();
  const helper = await registerCustomer('admin-leaving');
  const promote = 'mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }';
  dataOf(await gql(promote, { id: helper.id }, admin.token));
  const promoted = await login(helper.email, PASSWORD);
  expect(errorCode(await gql(DELETE, { password: PASSWORD }, promoted.token))).toBe('CONFLICT');
  expect(dataOf(await gql('{ me { role deletedAt } }', {}, promoted.token)).me).toEqual({
    role: 'ADMIN',
    deletedAt: null,
  });
});
