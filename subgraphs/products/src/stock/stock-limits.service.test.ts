// The limits on one customer: how many unpaid orders they may hold, and how many units of a
// product with a purchase limit.
import { randomUUID } from 'node:crypto';
import { metricsRegistry } from '@shop/platform/telemetry';
import { extensionsOf, metricValue, testContext } from '@shop/platform/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StockService } from './stock.service.js';
import { stockFixture } from './stock.test-fixture.js';

const { db, category, cleanup, products, stock, services, admin, orders, product, reservationRows } = stockFixture();

afterAll(() => cleanup());

describe("the limit on a customer's unpaid orders", () => {
  const LIMIT = 3;
  const limited = new StockService(db, undefined, { unpaidOrdersPerCustomer: LIMIT });
  const customer = () => `customer-${randomUUID()}`;
  // Read from the table each time (inventoryOf's context keeps what it read once per product).
  const stockOf = async (id: string) => (await db.product.findUniqueOrThrow({ where: { id } })).inventory;
  const refusals = async () => metricValue(await metricsRegistry.metrics(), 'stock_unpaid_orders_limit_refusals_total');
  const one = (productId: string) => [{ productId, quantity: 1 }];
  const reserveFor = (customerId: string, productId: string, orderId = randomUUID()) =>
    limited.reserve(orders, orderId, one(productId), customerId).then(() => orderId);

  it('refuses a new order past the limit before any stock moves; other customers and orders without a customer are not held', async () => {
    const a = await product('1.00', 100);
    const [c, other] = [customer(), customer()];
    // A two-line order counts once.
    const b = await product('1.00', 100);
    await limited.reserve(orders, randomUUID(), [...one(a.id), ...one(b.id)], c);
    for (let i = 1; i < LIMIT; i++) await reserveFor(c, a.id);
    const refusedId = randomUUID();
    expect(await extensionsOf(reserveFor(c, a.id, refusedId))).toEqual({
      code: 'CONFLICT',
      reason: 'UNPAID_ORDERS_LIMIT',
      limit: LIMIT,
    });
    expect(await reservationRows(refusedId)).toBe(0);
    expect(await stockOf(a.id)).toBe(100 - LIMIT);
    // The refused order id stays free: nothing was recorded for it.
    await reserveFor(other, a.id, refusedId);
    await limited.reserve(orders, randomUUID(), one(a.id));
    expect(await stockOf(a.id)).toBe(100 - LIMIT - 2);
  });

  it("answers a retried reservation at the limit: it is one of the customer's orders already", async () => {
    const a = await product('1.00', 10);
    const c = customer();
    const ids = [];
    for (let i = 0; i < LIMIT; i++) ids.push(await reserveFor(c, a.id));
    const retried = await limited.reserve(orders, ids[0] as string, one(a.id), c);
    expect(retried).toEqual([{ productId: a.id, quantity: 1, unitPrice: '1.00' }]);
    expect(await stockOf(a.id)).toBe(10 - LIMIT);
  });

  it('frees a place when an order is paid (settled, idempotently) or cancelled (released)', async () => {
    const a = await product('1.00', 10);
    const c = customer();
    const ids = [];
    for (let i = 0; i < LIMIT; i++) ids.push(await reserveFor(c, a.id));
    await limited.settle(ids[0] as string);
    await limited.settle(ids[0] as string);
    const next = await reserveFor(c, a.id);
    expect(await extensionsOf(reserveFor(c, a.id))).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });
    await limited.release(orders, ids[1] as string);
    await reserveFor(c, a.id);
    expect(await extensionsOf(reserveFor(c, a.id))).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });
    // A paid order keeps its stock: settling gives nothing back.
    expect(await stockOf(a.id)).toBe(10 - LIMIT - 1);
    expect(next).toBeDefined();
    // Settling an order products never reserved changes nothing.
    await expect(limited.settle(randomUUID())).resolves.toBeUndefined();
  });

  it('stops counting an order after UNPAID_ORDERS_WINDOW (35 min), so a payment event that never came holds no place for ever', async () => {
    const a = await product('1.00', 10);
    const c = customer();
    const ids = [];
    for (let i = 0; i < LIMIT; i++) ids.push(await reserveFor(c, a.id));
    expect(await extensionsOf(reserveFor(c, a.id))).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });
    // Inside the window it still counts: 34 minutes old.
    await db.$executeRaw`UPDATE stock_reservations SET created_at = created_at - make_interval(mins => 34) WHERE order_id = ${ids[0]}`;
    expect(await extensionsOf(reserveFor(c, a.id))).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });
    // By then orders has cancelled it had it been unpaid; it was paid, and its payment.succeeded is parked.
    await db.$executeRaw`UPDATE stock_reservations SET created_at = created_at - make_interval(mins => 2) WHERE order_id = ${ids[0]}`;
    await reserveFor(c, a.id);
    expect(await extensionsOf(reserveFor(c, a.id))).toMatchObject({ reason: 'UNPAID_ORDERS_LIMIT' });
  });

  it('holds under concurrency: of 12 reservations at once for one customer, exactly the limit succeed', async () => {
    const a = await product('1.00', 100);
    const c = customer();
    const refusalsBefore = await refusals();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => reserveFor(c, a.id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(LIMIT);
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.extensions.reason] : []));
    expect(reasons).toEqual(Array(12 - LIMIT).fill('UNPAID_ORDERS_LIMIT'));
    expect(await stockOf(a.id)).toBe(100 - LIMIT);
    expect(await refusals()).toBe(refusalsBefore + 12 - LIMIT);
  });
});

describe("a product's purchase limit per customer", () => {
  const customer = () => `customer-${randomUUID()}`;
  const stockOf = async (id: string) => (await db.product.findUniqueOrThrow({ where: { id } })).inventory;
  const limitedProduct = (purchaseLimit: number | null, inventory = 100) =>
    products.create(admin, { name: 'Drop', price: '5.00', category, inventory, purchaseLimit });
  const reserveFor = (customerId: string, lines: { productId: string; quantity: number }[], orderId = randomUUID()) =>
    stock.reserve(orders, orderId, lines, customerId).then(() => orderId);
  const refusals = async () => metricValue(await metricsRegistry.metrics(), 'stock_purchase_limit_refusals_total');

  it("refuses a line that would take the customer's units past the limit, moving no stock of any line", async () => {
    const [drop, plain] = await Promise.all([limitedProduct(3), limitedProduct(null)]);
    const [c, other] = [customer(), customer()];
    const refusalsBefore = await refusals();
    await reserveFor(c, [{ productId: drop.id, quantity: 2 }]);
    const refusedId = randomUUID();
    const refused = reserveFor(
      c,
      [
        { productId: plain.id, quantity: 5 },
        { productId: drop.id, quantity: 2 },
      ],
      refusedId,
    );
    expect(await extensionsOf(refused)).toEqual({
      code: 'CONFLICT',
      reason: 'PURCHASE_LIMIT',
      productId: drop.id,
      limit: 3,
      held: 2,
    });
    expect(await refusals()).toBe(refusalsBefore + 1);
    expect([await stockOf(drop.id), await stockOf(plain.id)]).toEqual([98, 100]);
    expect(await reservationRows(refusedId)).toBe(0);
    // Up to the limit goes through; another customer has a limit of their own.
    await reserveFor(c, [{ productId: drop.id, quantity: 1 }]);
    await reserveFor(other, [{ productId: drop.id, quantity: 3 }]);
    expect(await extensionsOf(reserveFor(other, [{ productId: drop.id, quantity: 1 }]))).toMatchObject({
      reason: 'PURCHASE_LIMIT',
      held: 3,
    });
    // One line above the limit is refused even to a new customer.
    expect(await extensionsOf(reserveFor(customer(), [{ productId: drop.id, quantity: 4 }]))).toMatchObject({
      reason: 'PURCHASE_LIMIT',
      held: 0,
    });
    expect(await stockOf(drop.id)).toBe(94);
  });

  it('counts paid orders, not cancelled ones; a retry is answered; no customer, or no limit, is not limited', async () => {
    const drop = await limitedProduct(2);
    const c = customer();
    const first = await reserveFor(c, [{ productId: drop.id, quantity: 2 }]);
    // Paid: still the customer's units.
    await stock.settle(first);
    expect(await extensionsOf(reserveFor(c, [{ productId: drop.id, quantity: 1 }]))).toMatchObject({
      reason: 'PURCHASE_LIMIT',
    });
    // The same order retried is the same units, not more.
    expect(await stock.reserve(orders, first, [{ productId: drop.id, quantity: 2 }], c)).toHaveLength(1);
    // Cancelled: the units are back, for the stock and for the customer.
    await stock.release(orders, first);
    await reserveFor(c, [{ productId: drop.id, quantity: 2 }]);
    // A reservation without a customer (an orders subgraph from before the limit) is not limited.
    await stock.reserve(orders, randomUUID(), [{ productId: drop.id, quantity: 5 }]);
    // The admin lifts the limit, and sets a lower one: it counts what the customer holds already.
    await products.update(admin, drop.id, { purchaseLimit: null });
    await reserveFor(c, [{ productId: drop.id, quantity: 3 }]);
    await products.update(admin, drop.id, { purchaseLimit: 4 });
    expect(await extensionsOf(reserveFor(c, [{ productId: drop.id, quantity: 1 }]))).toMatchObject({
      reason: 'PURCHASE_LIMIT',
      limit: 4,
      held: 5,
    });
    expect(await stockOf(drop.id)).toBe(100 - 2 - 5 - 3);
  });

  it('tells each signed-in caller their own allowance: the limit less their units, never below 0', async () => {
    const [drop, other, plain] = await Promise.all([limitedProduct(3), limitedProduct(5), limitedProduct(null)]);
    const [ada, bob] = [customer(), customer()];
    const as = (id: string) => testContext({ id, role: 'CUSTOMER' }, services);
    await reserveFor(ada, [{ productId: drop.id, quantity: 2 }]);
    const cancelled = await reserveFor(ada, [{ productId: other.id, quantity: 5 }]);
    await stock.release(orders, cancelled);
    const adaNow = as(ada);
    // One request's products are read together, in one query, each with its own count.
    const reads = vi.spyOn(db.stockReservation, 'groupBy');
    try {
      expect(await Promise.all([drop, other, plain].map((p) => stock.allowance(adaNow, p)))).toEqual([1, 5, null]);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
    expect(await stock.allowance(as(bob), drop)).toBe(3);
    expect(await stock.allowance(testContext(null, services), drop)).toBeNull();
    expect(await stock.allowance(orders, drop)).toBeNull();
    // Past a limit lowered since: 0, not negative.
    await products.update(admin, drop.id, { purchaseLimit: 1 });
    expect(await stock.allowance(as(ada), { ...drop, purchaseLimit: 1 })).toBe(0);
  });

  it('holds under concurrency: of 10 orders of 1 at once for one customer, exactly the limit succeed', async () => {
    const drop = await limitedProduct(3);
    const c = customer();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => reserveFor(c, [{ productId: drop.id, quantity: 1 }])),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.extensions.reason] : []));
    expect(reasons).toEqual(Array(7).fill('PURCHASE_LIMIT'));
    expect(await stockOf(drop.id)).toBe(97);
  });
});
