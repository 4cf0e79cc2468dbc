// A product's purchase limit through the whole stack: the admin sets it over REST or GraphQL, orders
// passes the customer to products with each reservation, and products refuses a line that would give
// the customer more of the product than the limit (paid or awaiting payment; cancelled orders give
// their units back), before any stock moves.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADDRESS,
  GATEWAY,
  graphql,
  graphqlOk,
  inventoryOf,
  registerCustomer,
  rest,
  restAnswer,
  signInAdmin,
} from './stack.js';

const CREATE_ORDER = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }';
const LIMIT = 3;

let admin: string;
let productId: string;

const order = (quantity: number) => ({ items: [{ productId, quantity }], shippingAddress: ADDRESS });
const place = (token: string, quantity: number) =>
  graphql<{ createOrder: { id: string } }>(CREATE_ORDER, { input: order(quantity) }, token);
const placed = async (token: string, quantity: number) => {
  const result = await place(token, quantity);
  expect(result.errors).toBeUndefined();
  return result.data?.createOrder.id as string;
};
/** The caller's purchaseAllowance of the product and the answer's Cache-Control, by one query text for all. */
async function allowanceOf(token?: string) {
  const response = await fetch(`${GATEWAY}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({
      query: 'query Allowance($id: ID!) { product(id: $id) { name purchaseAllowance } }',
      variables: { id: productId },
    }),
  });
  const body = (await response.json()) as { data: { product: { purchaseAllowance: number | null } } };
  return { allowance: body.data.product.purchaseAllowance, cacheControl: response.headers.get('cache-control') };
}
const refusal = async (token: string, quantity: number) => (await place(token, quantity)).errors?.[0]?.extensions;

beforeAll(async () => {
  admin = await signInAdmin();
  const created = await rest(
    'POST',
    '/products',
    { name: 'Limited drop', price: 49.5, category: `e2e-limit-${Date.now()}`, inventory: 100, purchaseLimit: LIMIT },
    admin,
  );
  expect(created.purchaseLimit).toBe(LIMIT);
  productId = created.id;
});

describe("a product's purchase limit per customer", () => {
  it('is public on the product, and only a whole number from 1 is accepted', async () => {
    const { product } = await graphqlOk<{ product: { purchaseLimit: number } }>(
      'query($id: ID!) { product(id: $id) { purchaseLimit } }',
      { id: productId },
    );
    expect(product.purchaseLimit).toBe(LIMIT);
    const patch = await restAnswer('PATCH', `/products/${productId}`, { purchaseLimit: 0 }, admin);
    expect(patch.status).toBe(400);
  });

  it('refuses an order past the limit on GraphQL and REST, counting paid orders and not cancelled ones; another customer has their own', async () => {
    const [{ token: ada }, { token: bob }] = await Promise.all([registerCustomer('ada'), registerCustomer('bob')]);
    const first = await placed(ada, 1);
    const second = await placed(ada, 2);
    expect(await refusal(ada, 1)).toEqual({
      code: 'CONFLICT',
      reason: 'PURCHASE_LIMIT',
      productId,
      limit: LIMIT,
      held: 3,
    });
    const legacy = await restAnswer('POST', '/orders', order(1), ada);
    expect(legacy.status).toBe(409);
    expect(legacy.body).toMatchObject({ code: 'CONFLICT', reason: 'PURCHASE_LIMIT', productId, limit: LIMIT });
    await placed(bob, LIMIT);
    expect(await inventoryOf(productId)).toBe(100 - 3 - LIMIT);

    // A paid order keeps counting; a cancelled one gives its units back, to the stock and to ada.
    const payment = await graphqlOk<{ processPayment: { status: string } }>(
      'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }',
      { input: { orderId: first, paymentMethod: 'card', idempotencyKey: `limit-${first}` } },
      ada,
    );
    expect(payment.processPayment.status).toBe('SUCCEEDED');
    await graphqlOk(
      'mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { status } }',
      { id: second },
      ada,
    );
    expect(await refusal(ada, 3)).toMatchObject({ reason: 'PURCHASE_LIMIT', held: 1 });
    await placed(ada, 2);
    expect(await refusal(ada, 1)).toMatchObject({ reason: 'PURCHASE_LIMIT', held: 3 });

    // Each caller is told their own allowance, by the same query, so no cache may share the answer.
    expect(await allowanceOf(ada)).toEqual({ allowance: 0, cacheControl: 'no-store' });
    expect(await allowanceOf(bob)).toEqual({ allowance: 0, cacheControl: 'no-store' });
    const { token: cy } = await registerCustomer('cy');
    expect(await allowanceOf(cy)).toEqual({ allowance: LIMIT, cacheControl: 'no-store' });
    expect((await allowanceOf()).allowance).toBeNull();

    // The admin lifts the limit (null over REST): ada may order more.
    const lifted = await rest('PATCH', `/products/${productId}`, { purchaseLimit: null }, admin);
    expect(lifted.purchaseLimit).toBeNull();
    await placed(ada, 5);
    expect(await inventoryOf(productId)).toBe(100 - 1 - 2 - LIMIT - 5);
  });
});
