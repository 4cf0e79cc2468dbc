import { randomUUID } from 'node:crypto';
import { paymentSucceeded } from '@shop/events';
import { extensionsOf, publishSettled, testContext, testEventBus } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToPayments } from './events.js';
import { ProductService } from './product/product.service.js';
import { StockService } from './stock/stock.service.js';
import { connectTestDb } from './test-db.js';

const bus = testEventBus('products-test');
const PAYMENTS = 'products-test.payments';
const { db, category, cleanup } = connectTestDb();
const products = new ProductService(db);
const stock = new StockService(db, undefined, { unpaidOrdersPerCustomer: 1 });
const admin = testContext({ id: 'admin-1', role: 'ADMIN' }, { products, stock });
const orders = testContext({ id: 'service:orders', role: 'SERVICE' }, { products, stock });

beforeAll(() => subscribeToPayments(bus, stock, PAYMENTS));
afterAll(async () => {
  await bus.close();
  await cleanup();
});

const paid = (orderId: string, userId: string) =>
  paymentSucceeded.create({ paymentId: randomUUID(), orderId, userId, amount: '1.00', transactionId: randomUUID() });

describe('products consuming payment.succeeded', () => {
  it("takes a paid order out of its customer's unpaid orders, once however often the event comes", async () => {
    const { id: productId } = await products.create(admin, { name: 'Item', price: '1.00', category, inventory: 10 });
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
