import { randomUUID } from 'node:crypto';
import { paymentSucceeded } from '@shop/events';
import { extensionsOf, publishSettled, testEventBus } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToPayments } from './events.js';
import { stockFixture } from './stock/stock.test-fixture.js';

const bus = testEventBus('products-test');
const PAYMENTS = 'products-test.payments';
const { db, cleanup, stock, orders, product } = stockFixture({ unpaidOrdersPerCustomer: 1 });

beforeAll(() => subscribeToPayments(bus, stock, PAYMENTS));
afterAll(async () => {
  await bus.close();
  await cleanup();
});

const paid = (orderId: string, userId: string) =>
  paymentSucceeded.create({ paymentId: randomUUID(), orderId, userId, amount: '1.00', transactionId: randomUUID() });

describe('products consuming payment.succeeded', () => {
  it("takes a paid order out of its customer's unpaid orders, once however often the event comes", async () => {
    const { id: productId } = await product('1.00', 10);
    const customer = `customer-${randomUUID()}`;
    const reserve = (orderId = randomUUID()) =>
      stock.reserve(orders, orderId, [{ productId, quantity: 1 }], customer).then(() => orderId);
    const first = await reserve();
    expect(await extensionsOf(reserve())).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT', limit: 1 });

    // Another order's payment frees nothing of this customer's.
    await publishSettled(bus, PAYMENTS, paid(randomUUID(), customer));
    expect(await extensionsOf(reserve())).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });

    const payment = paid(first, customer);
    await publishSettled(bus, PAYMENTS, payment);
    await publishSettled(bus, PAYMENTS, payment);
    await reserve();
    expect(await extensionsOf(reserve())).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });
    // The paid order keeps its stock: nothing was released.
    expect((await db.product.findUniqueOrThrow({ where: { id: productId } })).inventory).toBe(8);
  });
});
