// The walking skeleton end to end, through the gateway only: catalog, accounts, an order,
// a live subscription, payment, and the notification it leaves behind.

import { eventually } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordSubscription,
  statusUpdate,
  subscriptionClient,
} from '../../gateway/src/subscriptions/subscription.test-client.js';
import { ADMIN, createProduct, GATEWAY, graphql, graphqlOk, liveSubscriptions } from './stack.js';

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token user { id role } } }';
const REGISTER_CUSTOMER = { password: 'customer-password', firstName: 'Grace', lastName: 'Hopper' };

let adminToken: string;
let customer: { token: string; id: string; email: string };
let productId: string;

async function registerViaRest(email: string): Promise<{ token: string; user: { id: string; email: string } }> {
  const response = await fetch(`${GATEWAY}/api/users/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...REGISTER_CUSTOMER, email }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { token: string; user: { id: string; email: string } };
}

async function createOrder(token: string, quantity = 2) {
  return graphql<{ createOrder: { id: string; status: string; totalAmount: string } }>(
    `mutation($input: CreateOrderInput!) { createOrder(input: $input) { id status totalAmount } }`,
    {
      input: {
        items: [{ productId, quantity }],
        shippingAddress: { street: '1 Main St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' },
      },
    },
    token,
  );
}

beforeAll(async () => {
  const admin = await graphqlOk<{ login: { token: string; user: { role: string } } }>(LOGIN, { input: ADMIN });
  expect(admin.login.user.role).toBe('ADMIN');
  adminToken = admin.login.token;

  productId = await createProduct(adminToken, {
    name: 'Compiler Handbook',
    description: 'A book about compilers',
    price: '19.99',
    category: `books-${Date.now()}`,
    inventory: 10,
    images: ['https://example.com/book.png'],
  });

  const email = `grace-${Date.now()}@example.com`;
  const registered = await registerViaRest(email);
  const login = await graphqlOk<{ login: { token: string; user: { id: string } } }>(LOGIN, {
    input: { email, password: REGISTER_CUSTOMER.password },
  });
  customer = { token: login.login.token, id: registered.user.id, email };
});

describe('order flow through the gateway', () => {
  const subscriptions: (() => void)[] = [];
  afterAll(() => {
    for (const dispose of subscriptions) dispose();
  });

  it('creates an order, streams it as PAID over graphql-ws with federated fields, and records a notification', async () => {
    const created = await createOrder(customer.token);
    expect(created.errors).toBeUndefined();
    const order = created.data?.createOrder;
    expect(order).toMatchObject({ status: 'PENDING', totalAmount: '39.98' });
    const orderId = order?.id as string;

    const liveBefore = await liveSubscriptions();
    const client = subscriptionClient(GATEWAY, customer.token);
    subscriptions.push(() => void client.dispose());
    const watched = recordSubscription(client, {
      query: `subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) {
        id status paymentStatus totalAmount
        user { id email }
        items { quantity price product { id name } }
        payment { status amount }
      } }`,
      variables: { orderId },
    });
    // The gateway counts a subscription as live once it listens for the order's events.
    await eventually(async () => ((await liveSubscriptions()) > liveBefore ? true : undefined));

    const payment = await graphqlOk<{ processPayment: { id: string; status: string; amount: string } }>(
      `mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { id status amount } }`,
      { input: { orderId, paymentMethod: 'card', idempotencyKey: `pay-${orderId}` } },
      customer.token,
    );
    expect(payment.processPayment).toMatchObject({ status: 'SUCCEEDED', amount: '39.98' });

    const update = await eventually(() => statusUpdate(watched, 'PAID'), 20_000);
    expect(update).toMatchObject({
      id: orderId,
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
      user: { id: customer.id, email: customer.email },
      items: [{ quantity: 2, price: '19.99', product: { id: productId, name: 'Compiler Handbook' } }],
      payment: { status: 'SUCCEEDED', amount: '39.98' },
    });

    const federated = await graphqlOk<{ order: Record<string, unknown> }>(
      `query($id: ID!) { order(id: $id) { status user { email } items { product { name inventory } } payment { status } } }`,
      { id: orderId },
      customer.token,
    );
    expect(federated.order).toMatchObject({
      status: 'PAID',
      user: { email: customer.email },
      items: [{ product: { name: 'Compiler Handbook', inventory: 8 } }],
      payment: { status: 'SUCCEEDED' },
    });

    const notifications = await eventually(async () => {
      const result = await graphqlOk<{ me: { notifications: { eventType: string; orderId: string | null }[] } }>(
        '{ me { notifications { eventType orderId } } }',
        {},
        customer.token,
      );
      const forOrder = result.me.notifications.filter((notification) => notification.orderId === orderId);
      const types = forOrder.map((notification) => notification.eventType);
      return types.includes('order.created') && types.includes('payment.succeeded') ? types : undefined;
    });
    expect(notifications).toEqual(expect.arrayContaining(['order.created', 'payment.succeeded']));
  });

  it('answers bad input and missing rights with the contract codes, never internals', async () => {
    const anonymous = await createOrder('');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const badRegister = await graphql(
      `mutation { register(input: { email: "not-an-email", password: "short", firstName: "A", lastName: "B" }) { token } }`,
    );
    expect(badRegister.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const duplicate = await graphql(`mutation($input: RegisterInput!) { register(input: $input) { token } }`, {
      input: { ...REGISTER_CUSTOMER, email: customer.email },
    });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    const unknownProduct = await graphql(
      `mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }`,
      {
        input: {
          items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }],
          shippingAddress: { street: '1 Main St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' },
        },
      },
      customer.token,
    );
    expect(unknownProduct.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const customerProduct = await graphql(
      `mutation { createProduct(input: { name: "x", description: "x", price: "1.00", category: "x", inventory: 1, images: [] }) { id } }`,
      {},
      customer.token,
    );
    expect(customerProduct.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const hidden = await graphql(
      `mutation { reserveStock(orderId: "x", items: []) { productId } }`,
      {},
      customer.token,
    );
    expect(hidden.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    for (const result of [anonymous, badRegister, duplicate, unknownProduct, customerProduct, hidden]) {
      expect(JSON.stringify(result)).not.toMatch(/stack|at .*\.ts:|Mongo|Prisma/);
    }
  });

  it('keeps one customer out of another customer’s order', async () => {
    const { data } = await createOrder(customer.token, 1);
    const other = await registerViaRest(`mallory-${Date.now()}@example.com`);
    const peek = await graphql(`query($id: ID!) { order(id: $id) { id } }`, { id: data?.createOrder.id }, other.token);
    expect(peek.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const asAdmin = await graphqlOk<{ order: { id: string } }>(
      `query($id: ID!) { order(id: $id) { id } }`,
      { id: data?.createOrder.id },
      adminToken,
    );
    expect(asAdmin.order.id).toBe(data?.createOrder.id);
  });
});
