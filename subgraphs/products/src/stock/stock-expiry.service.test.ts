import { randomUUID } from 'node:crypto';
import { metricsRegistry } from '@shop/platform/telemetry';
import { extensionsOf, metricValue, testContext } from '@shop/platform/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { reportStockGauges } from './stock.metrics.js';
import { stockFixture } from './stock.test-fixture.js';

// Other test files share the database and reserve concurrently: their reservations are fresh, so a
// long TTL and back-dated rows of this file's own orders keep each sweep to this file's orders.
const TTL_MS = 10 * 60_000;
const fixture = stockFixture({ reservationTtlMs: TTL_MS });
const { db, cleanup, stock, services, admin, orders } = fixture;

afterAll(() => cleanup());

const product = (inventory: number) => fixture.product('2.00', inventory);
// Straight from the table: a context's product loader would answer a repeated read from its cache.
const inventoryOf = async (id: string) => (await db.product.findUniqueOrThrow({ where: { id } })).inventory;
/** Makes an order's reservation look `ms` old, as if the orders subgraph had gone quiet since. */
const age = (orderId: string, ms: number) =>
  db.$executeRaw`UPDATE stock_reservations SET created_at = created_at - make_interval(secs => ${ms / 1000}) WHERE order_id = ${orderId}`;
const expiredTotal = async () => metricValue(await metricsRegistry.metrics(), 'stock_reservations_expired_total');
const sweep = () => stock.expireStale({ requestId: 'test-sweep', log: orders.log });

describe('StockService.confirm', () => {
  it('confirms a reservation idempotently, and a confirmed reservation never expires', async () => {
    const a = await product(5);
    const orderId = randomUUID();
    await stock.reserve(orders, orderId, [{ productId: a.id, quantity: 2 }]);
    expect(await Promise.all([1, 2, 3].map(() => stock.confirm(orders, orderId)))).toEqual([true, true, true]);
    await age(orderId, 2 * TTL_MS);
    expect(await sweep()).not.toContain(orderId);
    expect(await inventoryOf(a.id)).toBe(3);
    expect(await stock.confirm(orders, orderId)).toBe(true);
    // Cancelling a confirmed order still gives its stock back, once.
    expect(await stock.release(orders, orderId)).toBe(true);
    expect(await stock.release(orders, orderId)).toBe(true);
    expect(await inventoryOf(a.id)).toBe(5);
  });

  it('refuses with CONFLICT an order that was released or never reserved', async () => {
    const a = await product(5);
    const released = randomUUID();
    await stock.reserve(orders, released, [{ productId: a.id, quantity: 1 }]);
    await stock.release(orders, released);
    expect(await extensionsOf(stock.confirm(orders, released))).toMatchObject({ code: 'CONFLICT', reason: 'released' });
    expect(await extensionsOf(stock.confirm(orders, randomUUID()))).toMatchObject({
      code: 'CONFLICT',
      reason: 'not-reserved',
    });
    expect(await inventoryOf(a.id)).toBe(5);
  });

  it('keeps a confirmed reservation from the release of a failed create (unlessConfirmed), and exactly one of the two wins', async () => {
    const a = await product(20);
    // The orders sweep found the order stored and confirmed it before the failed create's release came.
    const kept = randomUUID();
    await stock.reserve(orders, kept, [{ productId: a.id, quantity: 2 }]);
    await stock.confirm(orders, kept);
    expect(await extensionsOf(stock.release(orders, kept, { unlessConfirmed: true }))).toMatchObject({
      code: 'CONFLICT',
      reason: 'confirmed',
    });
    expect(await inventoryOf(a.id)).toBe(18);
    expect(await stock.confirm(orders, kept)).toBe(true);
    // Not confirmed: released as before, and a later confirmation is refused.
    const failed = randomUUID();
    await stock.reserve(orders, failed, [{ productId: a.id, quantity: 3 }]);
    expect(await stock.release(orders, failed, { unlessConfirmed: true })).toBe(true);
    expect(await extensionsOf(stock.confirm(orders, failed))).toMatchObject({ code: 'CONFLICT', reason: 'released' });
    expect(await inventoryOf(a.id)).toBe(18);
    // Racing: the stock stays held exactly when the confirmation won.
    const raced = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const id = randomUUID();
        await stock.reserve(orders, id, [{ productId: a.id, quantity: 1 }]);
        const [confirmed] = await Promise.allSettled([
          stock.confirm(orders, id),
          stock.release(orders, id, { unlessConfirmed: true }),
        ]);
        return confirmed.status === 'fulfilled';
      }),
    );
    expect(await inventoryOf(a.id)).toBe(18 - raced.filter(Boolean).length);
    // Cancelling the kept order gives its stock back as usual.
    expect(await stock.release(orders, kept)).toBe(true);
    expect(await inventoryOf(a.id)).toBe(20 - raced.filter(Boolean).length);
  });

  it('is for the SERVICE role only', async () => {
    const customer = testContext({ id: 'c', role: 'CUSTOMER' }, services);
    expect(await extensionsOf(stock.confirm(customer, randomUUID()))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await extensionsOf(stock.confirm(admin, randomUUID()))).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('StockService.expireStale (STOCK_RESERVATION_TTL)', () => {
  it('gives back a reservation unconfirmed past the TTL exactly once, records it and counts it', async () => {
    const [a, b] = await Promise.all([product(10), product(10)]);
    const orderId = randomUUID();
    const items = [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 1 },
    ];
    await stock.reserve(orders, orderId, items);
    const fresh = randomUUID();
    await stock.reserve(orders, fresh, [{ productId: a.id, quantity: 1 }]);
    await age(orderId, TTL_MS + 1_000);
    await age(fresh, TTL_MS - 60_000);
    const countedBefore = await expiredTotal();
    // What the alert on a stuck expiry reads: this order's two lines are due, the fresh one is not.
    reportStockGauges(stock, 0);
    const overdue = async () => metricValue(await metricsRegistry.metrics(), 'stock_reservations_overdue');
    expect(await overdue()).toBeGreaterThanOrEqual(2);

    // Replicas sweep at the same time: exactly one of them releases the order.
    const passes = await Promise.all([sweep(), sweep(), sweep()]);
    expect(passes.flat().filter((id) => id === orderId)).toHaveLength(1);
    expect(passes.flat()).not.toContain(fresh);
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([9, 10]);
    expect(await expiredTotal()).toBe(countedBefore + 1);
    expect(await db.stockRelease.findUnique({ where: { orderId } })).toMatchObject({ reason: 'expired' });
    expect(await sweep()).not.toContain(orderId);
    // Only this file back-dates reservations, and the sweeps gave back every one that was due.
    expect(await overdue()).toBe(0);

    // Too late for the order: its confirmation is refused, a repeated reservation too, and a
    // release (the order being cancelled) gives nothing back twice.
    expect(await extensionsOf(stock.confirm(orders, orderId))).toMatchObject({ code: 'CONFLICT', reason: 'expired' });
    expect(await extensionsOf(stock.reserve(orders, orderId, items))).toMatchObject({ code: 'CONFLICT' });
    expect(await stock.release(orders, orderId)).toBe(true);
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([9, 10]);
    expect(await db.stockRelease.findUnique({ where: { orderId } })).toMatchObject({ reason: 'expired' });
  });

  it('lets exactly one of a confirmation and the expiry win when they race', async () => {
    const a = await product(20);
    const orderIds: string[] = Array.from({ length: 20 }, () => randomUUID());
    for (const orderId of orderIds) await stock.reserve(orders, orderId, [{ productId: a.id, quantity: 1 }]);
    for (const orderId of orderIds) await age(orderId, TTL_MS + 1_000);
    const confirmations = await Promise.all(
      orderIds.map((orderId, i) =>
        i % 2
          ? extensionsOf(stock.confirm(orders, orderId))
          : sweep().then(() => extensionsOf(stock.confirm(orders, orderId))),
      ),
    );
    // Whatever the interleaving, each order ends either confirmed (holding its unit) or expired
    // (its unit back and its confirmation refused), never both and never neither: the stock and
    // the release rows below say so.
    const confirmed = orderIds.filter((_, i) => confirmations[i] === undefined);
    const refused = confirmations.filter((result) => result !== undefined);
    expect(refused.every((result) => result?.code === 'CONFLICT' && result.reason === 'expired')).toBe(true);
    // Each even order's confirmation came after a whole sweep: those always lose.
    expect(confirmed.every((id) => orderIds.indexOf(id) % 2 === 1)).toBe(true);
    expect(await inventoryOf(a.id)).toBe(20 - confirmed.length);
    const released = await db.stockRelease.findMany({ where: { orderId: { in: orderIds } } });
    expect(released.map((row) => row.orderId).sort()).toEqual(orderIds.filter((id) => !confirmed.includes(id)).sort());
    // A later sweep finds nothing left: the confirmed ones are held for good.
    const after = await sweep();
    expect(after.filter((id) => orderIds.includes(id))).toEqual([]);
  });
});
