// CONTRACT.md, "Entities" → "Order life cycle": created PENDING with stock reserved; payment.succeeded
// makes it PAID; an admin moves PAID → SHIPPED → DELIVERED; the owner or an admin may cancel a PENDING
// order (stock is released); any other transition is refused with CONFLICT; payment.failed leaves the
// order PENDING with paymentStatus FAILED, and payment may be tried again.
import { beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorCode, gql, type Json } from './gateway.client.js';
import {
  type Customer,
  createProduct,
  loginAdmin,
  orderWhen,
  pay,
  placeOrder,
  registerCustomer,
} from './shop.fixture.js';

const MOVE =
  'mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id status paymentStatus } }';
/**
 * A new document each time: stock is public catalogue data that a gateway may cache for up to its
 * max-age (10 s), and these checks want the stock as it is now, right after a change.
 */
let reads = 0;
const INVENTORY = () => `query Inventory${++reads}($id: ID!) { product(id: $id) { inventory } }`;

let admin: Customer;
let owner: Customer;
let productId: string;
const inventory = async () => dataOf(await gql(INVENTORY(), { id: productId })).product.inventory as number;
const move = (token: string, id: string, status: string) => gql(MOVE, { id, status }, token);

beforeAll(async () => {
  [admin, owner] = await Promise.all([loginAdmin(), registerCustomer('lifecycle')]);
  productId = (await createProduct(admin.token, { inventory: 10 })).id;
});

describe('"Order life cycle"', () => {
  it('is created PENDING with its stock reserved; cancelling it (owner) releases the stock', async () => {
    const order = await placeOrder(owner.token, productId, 3);
    expect(order).toMatchObject({ status: 'PENDING', paymentStatus: 'PENDING' });
    expect(await inventory()).toBe(7);
    expect(dataOf(await move(owner.token, order.id, 'CANCELLED')).updateOrderStatus.status).toBe('CANCELLED');
    expect(await inventory()).toBe(10);
  });

  it('lets an admin cancel a PENDING order too', async () => {
    const order = await placeOrder(owner.token, productId, 1);
    expect(dataOf(await move(admin.token, order.id, 'CANCELLED')).updateOrderStatus.status).toBe('CANCELLED');
    expect(await inventory()).toBe(10);
  });

  it('refuses more than the stock with CONFLICT (or the more specific INSUFFICIENT_STOCK), reserving nothing', async () => {
    const answer = await gql(
      'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
      {
        input: {
          items: [{ productId, quantity: 11 }],
          shippingAddress: { street: 's', city: 'c', state: 'st', zipCode: '1', country: 'US' },
        },
      },
      owner.token,
    );
    expect(['CONFLICT', 'INSUFFICIENT_STOCK']).toContain(errorCode(answer));
    expect(await inventory()).toBe(10);
  });

  it('goes PENDING → PAID on payment.succeeded, then PAID → SHIPPED → DELIVERED by an admin; nothing else', async () => {
    const order = await placeOrder(owner.token, productId, 1);
    expect(errorCode(await move(admin.token, order.id, 'SHIPPED'))).toBe('CONFLICT');
    expect(errorCode(await move(admin.token, order.id, 'PAID'))).toBe('CONFLICT'); // only a payment pays
    await pay(owner.token, order.id, 'card');
    expect(await orderWhen(owner.token, order.id, (current) => current.status === 'PAID')).toMatchObject({
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });
    expect(errorCode(await move(owner.token, order.id, 'CANCELLED'))).toBe('CONFLICT');
    expect(errorCode(await move(admin.token, order.id, 'DELIVERED'))).toBe('CONFLICT');
    expect(errorCode(await move(owner.token, order.id, 'SHIPPED'))).toBe('FORBIDDEN'); // an admin's move
    expect(dataOf(await move(admin.token, order.id, 'SHIPPED')).updateOrderStatus.status).toBe('SHIPPED');
    expect(errorCode(await move(admin.token, order.id, 'CANCELLED'))).toBe('CONFLICT');
    expect(dataOf(await move(admin.token, order.id, 'DELIVERED')).updateOrderStatus.status).toBe('DELIVERED');
    for (const status of ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED']) {
      expect([status, errorCode(await move(admin.token, order.id, status))]).toEqual([status, 'CONFLICT']);
    }
    expect(await inventory()).toBe(9); // sold, not released
  });

  it('refuses to move a CANCELLED order anywhere', async () => {
    const order = await placeOrder(owner.token, productId, 1);
    dataOf(await move(owner.token, order.id, 'CANCELLED'));
    for (const status of ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']) {
      expect([status, errorCode(await move(admin.token, order.id, status))]).toEqual([status, 'CONFLICT']);
    }
  });

  it('stays PENDING with paymentStatus FAILED after payment.failed, and can be paid again', async () => {
    const order = await placeOrder(owner.token, productId, 1);
    const declined: Json = await pay(owner.token, order.id, 'card_declined');
    expect(declined).toMatchObject({ status: 'FAILED', failureReason: 'card_declined' });
    expect(await orderWhen(owner.token, order.id, (current) => current.paymentStatus === 'FAILED')).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'FAILED',
    });
    const retried: Json = await pay(owner.token, order.id, 'paypal');
    expect(retried).toMatchObject({ status: 'SUCCEEDED', failureReason: null });
    expect(retried.id).not.toBe(declined.id);
    expect(await orderWhen(owner.token, order.id, (current) => current.status === 'PAID')).toMatchObject({
      paymentStatus: 'SUCCEEDED',
    });
  });
});
