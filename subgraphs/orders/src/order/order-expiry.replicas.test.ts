import { fileURLToPath } from 'node:url';
import { orderUpdated } from '@shop/events';
import { runReplicas } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderModel } from './order.model.js';
import { address, BOOK, customer, type OrdersFixture, startOrdersFixture } from './order.test-fixture.js';

const REPLICAS = 3;
const ORDERS = 20;

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterAll(() => fx.close());

describe('the expiry sweep in several replicas at once', () => {
  it('cancels each overdue order exactly once across processes, with one order.updated each', async () => {
    const ada = customer('user-ada');
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const order = await fx.orders.create(fx.as(ada), {
        items: [{ productId: BOOK, quantity: 1 }],
        shippingAddress: address,
      });
      ids.push(order.id);
    }
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    const outputs = await runReplicas<string[]>(
      fileURLToPath(new URL('order-expiry.test-replica.ts', import.meta.url)),
      REPLICAS,
      { PRODUCTS_URL: fx.products.url, PAYMENTS_URL: fx.payments.url, CUTOFF: String(Date.now() + 1_000) },
    );
    const wins = outputs.flat();
    expect(wins.sort()).toEqual([...ids].sort());

    for (const id of ids) {
      const stored = await OrderModel.findById(id).lean();
      expect(stored?.status).toBe('CANCELLED');
      const events = (stored?.pendingEvents ?? []).filter((e) => e.type === 'order.updated');
      // The same event may be written twice (at-least-once, deduplicated by id), never two different ones.
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
      expect(orderUpdated.schema.parse(events[0]).data).toMatchObject({
        previousStatus: 'PENDING',
        status: 'CANCELLED',
      });
    }
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore + ORDERS);
  }, 60_000);
});
