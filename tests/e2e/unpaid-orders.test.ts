// The limit on a customer's unpaid orders through the whole stack: orders passes the customer to
// products with the reservation, products refuses past UNPAID_ORDERS_PER_CUSTOMER before any stock
// moves, and an order paid (payment.succeeded, consumed by products) or cancelled frees its place.
import { eventually } from '@shop/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDRESS,
  createProduct,
  graphql,
  graphqlOk,
  inventoryOf,
  registerCustomer,
  restAnswer,
  signInAdmin,
  UNPAID_ORDER_LIMIT,
} from './stack.js';

const CREATE = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }';

let productId: string;

const input = () => ({ items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS });
const place = (token: string) => graphql<{ createOrder: { id: string } }>(CREATE, { input: input() }, token);
/** Places an order once products lets one more through (a payment.succeeded it consumes frees a place). */
const placeOnceFree = (token: string) =>
  eventually(async () => (await place(token)).data?.createOrder.id, 20_000, 'an order past the freed place');

beforeAll(async () => {
  const admin = await signInAdmin();
  productId = await createProduct(admin, {
    name: 'Unpaid limit widget',
    description: 'Held by unpaid orders',
    price: '2.00',
    category: `e2e-unpaid-${Date.now()}`,
    inventory: 1_000,
  });
});

describe("the limit on a customer's unpaid orders", () => {
  it('refuses one order past the limit on GraphQL and REST, before any stock moves; a payment or a cancellation frees a place', async () => {
    const [{ token: ada }, { token: bob }] = await Promise.all([registerCustomer('ada'), registerCustomer('bob')]);
    const attempts = await Promise.all(Array.from({ length: UNPAID_ORDER_LIMIT + 2 }, () => place(ada)));
    const placed = attempts.flatMap((attempt) => (attempt.data ? [attempt.data.createOrder.id] : []));
    expect(placed).toHaveLength(UNPAID_ORDER_LIMIT);
    const refusals = attempts.flatMap((attempt) => attempt.errors ?? []);
    expect(refusals.map((error) => error.extensions)).toEqual(
      Array(2).fill({ code: 'CONFLICT', reason: 'UNPAID_ORDERS_LIMIT', limit: UNPAID_ORDER_LIMIT }),
    );
    expect(await inventoryOf(productId)).toBe(1_000 - UNPAID_ORDER_LIMIT);

    const legacy = await restAnswer('POST', '/orders', input(), ada);
    expect(legacy.status).toBe(409);
    expect(legacy.body).toMatchObject({
      code: 'CONFLICT',
      reason: 'UNPAID_ORDERS_LIMIT',
      detail: expect.stringContaining('unpaid orders'),
    });
    // Another customer is not held by ada's orders.
    expect((await place(bob)).data?.createOrder.id).toBeDefined();

    const [paid, cancelled] = placed as [string, string];
    const payment = await graphqlOk<{ processPayment: { status: string } }>(
      'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }',
      { input: { orderId: paid, paymentMethod: 'card', idempotencyKey: `unpaid-${paid}` } },
      ada,
    );
    expect(payment.processPayment.status).toBe('SUCCEEDED');
    await placeOnceFree(ada);
    expect((await place(ada)).errors?.[0]?.extensions?.reason).toBe('UNPAID_ORDERS_LIMIT');

    await graphqlOk(
      'mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { status } }',
      { id: cancelled },
      ada,
    );
    await placeOnceFree(ada);
    expect((await place(ada)).errors?.[0]?.extensions?.reason).toBe('UNPAID_ORDERS_LIMIT');
    // Every order that was placed holds one; the cancelled one gave its unit back.
    expect(await inventoryOf(productId)).toBe(1_000 - UNPAID_ORDER_LIMIT - 1 - 2 + 1);
  });
});
