import { randomUUID } from 'node:crypto';
import { orderUpdated } from '@shop/events';
import { extensionsOf, publishSettled, testContext, testEventBus } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToOrders } from './events.js';
import { ProductService } from './product/product.service.js';
import { StockService } from './stock/stock.service.js';
import { connectTestDb } from './test-db.js';

const bus = testEventBus('products-test');
const ORDERS = 'products-test.orders';
const { db, category, cleanup } = connectTestDb();
const products = new ProductService(db);
const stock = new StockService(db, undefined, { unpaidOrdersPerCustomer: 1 });
const admin = testContext({ id: 'admin-1', role: 'ADMIN' }, { products, stock });
const orders = testContext({ id: 'service:orders', role: 'SERVICE' }, { products, stock });

beforeAll(() => subscribeToOrders(bus, stock, ORDERS));
afterAll(async () => {
  await bus.close();
  await cleanup();
});

const updated = (orderId: string, userId: string, status: 'PENDING' | 'PAID' | 'CANCELLED') =>
  orderUpdated.create({
    orderId,
    userId,
    previousStatus: 'PENDING',
    status,
    paymentStatus: status === 'PAID' ? 'SUCCEEDED' : 'FAILED',
  });

describe('products consuming order.updated', () => {
  it("takes a paid or cancelled order out of its customer's unpaid orders, once however often it comes", async () => {
    const { id: productId } = await products.create(admin, { name: 'Item', price: '1.00', category, inventory: 10 });
    const customer = `customer-${randomUUID()}`;
    const reserve = (orderId = randomUUID()) =>
      stock.reserve(orders, orderId, [{ productId, quantity: 1 }], customer).then(() => orderId);
    const first = await reserve();
    expect(await extensionsOf(reserve())).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT', limit: 1 });

    // A failed payment leaves the order PENDING: still unpaid.
    await publishSettled(bus, ORDERS, updated(first, customer, 'PENDING'));
    expect(await extensionsOf(reserve())).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });

    const paid = updated(first, customer, 'PAID');
    await publishSettled(bus, ORDERS, paid);
    await publishSettled(bus, ORDERS, paid);
    const second = await reserve();
    expect(await extensionsOf(reserve())).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });

    // A cancellation frees the place before orders' release reaches products (or if it fails).
    await publishSettled(bus, ORDERS, updated(second, customer, 'CANCELLED'));
    await reserve();
    // The paid order keeps its stock; so far nothing was released.
    expect((await db.product.findUniqueOrThrow({ where: { id: productId } })).inventory).toBe(7);
  });
});
