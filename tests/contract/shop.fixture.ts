// The people and things the contract tests act with, made through the public API only.
import { randomUUID } from 'node:crypto';
import { eventually } from '@shop/platform/testing';
import { contractStack } from './contract-stack.js';
import { dataOf, gql, type Json } from './gateway.client.js';

export const PASSWORD = 'contract suite password';
export const ADDRESS = { street: '1 Contract Way', city: 'Springfield', state: 'IL', zipCode: '62701', country: 'US' };
export const USER_FIELDS = 'id email firstName lastName role createdAt updatedAt';
export const ORDER_FIELDS = `id user { id } items { product { id } quantity price } status totalAmount
  shippingAddress { street city state zipCode country } paymentStatus createdAt updatedAt`;
export const PAYMENT_FIELDS =
  'id order { id } amount paymentMethod status transactionId failureReason createdAt updatedAt';

const run = `${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
let sequence = 0;
/** A fresh email each call, unique across runs against the same stack. */
export const uniqueEmail = (name: string) => `${name}-${run}-${++sequence}@contract.test`;
/** A fresh name, e.g. for a product category only this run uses. */
export const uniqueName = (name: string) => `${name}-${run}-${++sequence}`;

export interface Customer {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { token refreshToken user { id email } }
}`;
const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { token refreshToken user { id } } }`;

export async function registerCustomer(name: string): Promise<Customer> {
  const input = { email: uniqueEmail(name), password: PASSWORD, firstName: name, lastName: 'Contract' };
  const { register } = dataOf(await gql(REGISTER, { input }));
  return {
    id: register.user.id,
    email: register.user.email,
    token: register.token,
    refreshToken: register.refreshToken,
  };
}

export async function login(email: string, password: string): Promise<Customer> {
  const { login } = dataOf(await gql(LOGIN, { input: { email, password } }));
  return { id: login.user.id, email, token: login.token, refreshToken: login.refreshToken };
}

export const loginAdmin = (): Promise<Customer> => login(contractStack().admin.email, contractStack().admin.password);

export interface ProductRef {
  id: string;
  name: string;
  price: string;
}

export async function createProduct(adminToken: string, input: Record<string, unknown> = {}): Promise<ProductRef> {
  const { createProduct } = dataOf(
    await gql(
      'mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id name price } }',
      {
        input: {
          name: uniqueName('Widget'),
          price: '19.99',
          category: uniqueName('contract'),
          inventory: 1000,
          ...input,
        },
      },
      adminToken,
    ),
  );
  return createProduct;
}

export async function placeOrder(token: string, productId: string, quantity = 1): Promise<Json> {
  const { createOrder } = dataOf(
    await gql(
      `mutation Place($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`,
      { input: { items: [{ productId, quantity }], shippingAddress: ADDRESS } },
      token,
    ),
  );
  return createOrder;
}

export async function pay(token: string, orderId: string, paymentMethod = 'card', idempotencyKey = randomUUID()) {
  const { processPayment } = dataOf(
    await gql(
      `mutation Pay($input: ProcessPaymentInput!) { processPayment(input: $input) { ${PAYMENT_FIELDS} } }`,
      { input: { orderId, paymentMethod, idempotencyKey } },
      token,
    ),
  );
  return processPayment;
}

/** The order as `token` sees it, once `ready` holds (events move orders asynchronously). */
export const orderWhen = (token: string, orderId: string, ready: (order: Json) => boolean): Promise<Json> =>
  eventually(async () => {
    const { order } = dataOf(
      await gql(`query Order($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id: orderId }, token),
    );
    return ready(order) ? order : undefined;
  });
