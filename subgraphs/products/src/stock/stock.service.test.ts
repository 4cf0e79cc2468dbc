import { randomUUID } from 'node:crypto';
import { ServiceUnavailableError } from '@shop/platform/core';
import { DeadlineExceededError } from '@shop/platform/http';
import { extensionsOf, testContext } from '@shop/platform/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { stockFixture } from './stock.test-fixture.js';

const { db, cleanup, products, stock, services, admin, orders, product, reservationRows } = stockFixture();

afterAll(() => cleanup());
const inventoryOf = async (id: string) => (await products.findById(admin, id)).inventory;

describe('StockService.reserve', () => {
  it('decrements stock and returns each line with its unit price, in request order', async () => {
    const [a, b] = await Promise.all([product('10.50', 5), product('3.00', 2)]);
    const orderId = randomUUID();
    const lines = await stock.reserve(orders, orderId, [
      { productId: b.id, quantity: 2 },
      { productId: a.id, quantity: 1 },
    ]);
    expect(lines).toEqual([
      { productId: b.id, quantity: 2, unitPrice: '3.00' },
      { productId: a.id, quantity: 1, unitPrice: '10.50' },
    ]);
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([4, 0]);
  });

  it('is all or nothing: INSUFFICIENT_STOCK with the productId, and nothing is decremented', async () => {
    const [a, b] = await Promise.all([product('1.00', 5), product('1.00', 1)]);
    const orderId = randomUUID();
    const items = [
      { productId: a.id, quantity: 5 },
      { productId: b.id, quantity: 2 },
    ];
    expect(await extensionsOf(stock.reserve(orders, orderId, items))).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      productId: b.id,
    });
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([5, 1]);
    expect(await reservationRows(orderId)).toBe(0);
  });

  it('answers NOT_FOUND for unknown or malformed products, leaving the others untouched', async () => {
    const a = await product('1.00', 5);
    for (const productId of [randomUUID(), 'nope']) {
      const items = [
        { productId: a.id, quantity: 1 },
        { productId, quantity: 1 },
      ];
      expect(await extensionsOf(stock.reserve(orders, randomUUID(), items))).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(await inventoryOf(a.id)).toBe(5);
  });

  it('never oversells: of ten concurrent reservations of 1 against 5 in stock, exactly 5 succeed', async () => {
    const a = await product('2.00', 5);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => stock.reserve(orders, randomUUID(), [{ productId: a.id, quantity: 1 }])),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.extensions.code] : []));
    expect(reasons).toEqual(Array(5).fill('INSUFFICIENT_STOCK'));
    expect(await inventoryOf(a.id)).toBe(0);
  });

  it('never oversells under load: of 200 concurrent reservations of 1 against 50, exactly 50 succeed', async () => {
    const a = await product('2.00', 50);
    const orderIds = Array.from({ length: 200 }, () => randomUUID());
    const results = await Promise.allSettled(
      orderIds.map((orderId) => stock.reserve(orders, orderId, [{ productId: a.id, quantity: 1 }])),
    );
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.extensions?.code] : []));
    expect(reasons).toEqual(Array(150).fill('INSUFFICIENT_STOCK'));
    expect(await inventoryOf(a.id)).toBe(0);
    // Exactly the 50 winners hold a reservation row; the losers left nothing behind.
    const winners = orderIds.filter((_, i) => results[i]?.status === 'fulfilled');
    const rows = await db.stockReservation.findMany({ where: { orderId: { in: orderIds } } });
    expect(rows.map((row) => row.orderId).sort()).toEqual(winners.sort());
  });

  it('keeps multi-item orders all or nothing under contention, without deadlocks', async () => {
    const [a, b] = await Promise.all([product('1.00', 30), product('1.00', 30)]);
    // Half the orders list the items in the opposite order: locks are still taken in one order.
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => {
        const items = [
          { productId: a.id, quantity: 1 },
          { productId: b.id, quantity: 1 },
        ];
        return stock.reserve(orders, randomUUID(), i % 2 ? items : items.reverse());
      }),
    );
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.extensions?.code] : []));
    expect(reasons).toEqual(Array(10).fill('INSUFFICIENT_STOCK'));
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([0, 0]);
    expect(await db.stockReservation.count({ where: { productId: { in: [a.id, b.id] } } })).toBe(60);
  });

  it('is idempotent per order: a retry returns the same lines and decrements nothing more', async () => {
    const a = await product('5.00', 10);
    const orderId = randomUUID();
    const items = [{ productId: a.id, quantity: 3 }];
    // A retry may even arrive while the first attempt is still running.
    const [first, ...racing] = await Promise.all([1, 2, 3].map(() => stock.reserve(orders, orderId, items)));
    await products.update(admin, a.id, { price: '6.00' });
    const later = await stock.reserve(orders, orderId, items);
    for (const retry of [...racing, later]) expect(retry).toEqual(first);
    expect(first).toEqual([{ productId: a.id, quantity: 3, unitPrice: '5.00' }]);
    expect(await inventoryOf(a.id)).toBe(7);
  });

  it('refuses the same order id with different items with CONFLICT', async () => {
    const a = await product('5.00', 10);
    const orderId = randomUUID();
    await stock.reserve(orders, orderId, [{ productId: a.id, quantity: 1 }]);
    expect(await extensionsOf(stock.reserve(orders, orderId, [{ productId: a.id, quantity: 2 }]))).toMatchObject({
      code: 'CONFLICT',
    });
    expect(await inventoryOf(a.id)).toBe(9);
  });

  it('validates quantities and items with BAD_USER_INPUT', async () => {
    const a = await product('5.00', 10);
    const bad = [[], [{ productId: a.id, quantity: 0 }], [{ productId: a.id, quantity: 1.5 }]];
    bad.push([
      { productId: a.id, quantity: 1 },
      { productId: a.id.toUpperCase(), quantity: 1 },
    ]);
    for (const items of bad) {
      expect(await extensionsOf(stock.reserve(orders, randomUUID(), items))).toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    expect(await inventoryOf(a.id)).toBe(10);
  });

  it('is for the SERVICE role only', async () => {
    const a = await product('5.00', 10);
    const items = [{ productId: a.id, quantity: 1 }];
    expect(await extensionsOf(stock.reserve(admin, randomUUID(), items))).toMatchObject({ code: 'FORBIDDEN' });
    const customer = testContext({ id: 'c', role: 'CUSTOMER' }, services);
    expect(await extensionsOf(stock.reserve(customer, randomUUID(), items))).toMatchObject({ code: 'FORBIDDEN' });
    const anonymous = testContext(null, services);
    expect(await extensionsOf(stock.reserve(anonymous, randomUUID(), items))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect(await extensionsOf(stock.release(customer, randomUUID()))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await inventoryOf(a.id)).toBe(10);
  });
});

describe('StockService.release', () => {
  it('restores exactly the reserved quantities, once, even when released concurrently', async () => {
    const [a, b] = await Promise.all([product('1.00', 4), product('1.00', 4)]);
    const orderId = randomUUID();
    const items = [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 1 },
    ];
    await stock.reserve(orders, orderId, items);
    expect(await Promise.all([1, 2, 3].map(() => stock.release(orders, orderId)))).toEqual([true, true, true]);
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([4, 4]);
    expect(await stock.release(orders, orderId)).toBe(true);
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([4, 4]);
  });

  it('gives stock back capped at the column limit when an admin raised it near there meanwhile', async () => {
    const [a, b] = await Promise.all([product('1.00', 10), product('1.00', 10)]);
    const orderId = randomUUID();
    await stock.reserve(orders, orderId, [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 2 },
    ]);
    // "Unlimited": the admin sets the most the column holds while the order still holds 3.
    await products.update(admin, a.id, { inventory: 2_147_483_647 });
    expect(await stock.release(orders, orderId)).toBe(true);
    expect([await inventoryOf(a.id), await inventoryOf(b.id)]).toEqual([2_147_483_647, 10]);
    expect((await db.product.findUniqueOrThrow({ where: { id: a.id } })).updatedAt.getTime()).toBeGreaterThan(
      Date.now() - 60_000,
    );
  });

  it('refuses a reservation that arrives after its order was released, so no stock leaks', async () => {
    const a = await product('1.00', 4);
    // The orders subgraph timed out on reserveStock and released; the reservation comes in later.
    const orderId = randomUUID();
    expect(await stock.release(orders, orderId)).toBe(false);
    const late = stock.reserve(orders, orderId, [{ productId: a.id, quantity: 1 }]);
    expect(await extensionsOf(late)).toMatchObject({ code: 'CONFLICT' });
    expect(await inventoryOf(a.id)).toBe(4);
    // In whichever order a reservation and its release meet, the stock ends up back.
    await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const id = randomUUID();
        const reserve = () => stock.reserve(orders, id, [{ productId: a.id, quantity: 1 }]);
        const release = () => stock.release(orders, id);
        return Promise.all(i % 2 ? [reserve(), release()] : [release(), reserve()]);
      }),
    );
    expect(await inventoryOf(a.id)).toBe(4);
  });

  it('answers false for an order without a reservation, and refuses to reserve a released order again', async () => {
    expect(await stock.release(orders, randomUUID())).toBe(false);
    const a = await product('1.00', 4);
    const orderId = randomUUID();
    const items = [{ productId: a.id, quantity: 2 }];
    await stock.reserve(orders, orderId, items);
    await stock.release(orders, orderId);
    expect(await extensionsOf(stock.reserve(orders, orderId, items))).toMatchObject({ code: 'CONFLICT' });
    expect(await inventoryOf(a.id)).toBe(4);
  });
});

describe("StockService and the caller's deadline", () => {
  /** Holds the product's row lock in another transaction until `free` is called (or 10 s pass). */
  async function holdRow(productId: string) {
    let free!: () => void;
    const freed = new Promise<void>((resolve) => {
      free = resolve;
    });
    let held = true;
    let locked!: (pid: number) => void;
    const lockTaken = new Promise<number>((resolve) => {
      locked = resolve;
    });
    const holder = db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM products WHERE id = ${productId}::uuid FOR UPDATE`;
        const [backend] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        locked(backend?.pid ?? 0);
        await Promise.race([freed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        held = false;
      },
      { timeout: 20_000 },
    );
    const pid = await lockTaken;
    return {
      /** The holder's backend: a transaction waiting for the row is blocked by it. */
      pid,
      isHeld: () => held,
      release: async () => {
        free();
        await holder;
      },
    };
  }

  it('stops waiting for a locked product row once the caller has given up, and reserves nothing', async () => {
    const a = await product('1.00', 5);
    const row = await holdRow(a.id);
    const orderId = randomUUID();
    const caller = { ...orders, deadline: Date.now() + 300 };

    const refusal = await stock.reserve(caller, orderId, [{ productId: a.id, quantity: 1 }]).catch((error) => error);
    expect(refusal).toBeInstanceOf(ServiceUnavailableError);
    expect(refusal.cause).toBeInstanceOf(DeadlineExceededError);
    // It gave up while the row was still locked, not once the lock was gone.
    expect(row.isHeld()).toBe(true);
    await row.release();
    expect(await inventoryOf(a.id)).toBe(5);
    expect(await reservationRows(orderId)).toBe(0);
  });

  it('without a deadline (a job, or a caller that did not say) waits for the row as before', async () => {
    const a = await product('1.00', 5);
    const row = await holdRow(a.id);
    const orderId = randomUUID();
    const reserving = stock.reserve(orders, orderId, [{ productId: a.id, quantity: 1 }]);
    const outcome = reserving.then(
      () => 'reserved',
      () => 'failed',
    );
    // Blocked behind the held row: a backend waits for the holder's.
    await vi.waitFor(async () => {
      const [waiting] = await db.$queryRaw<{ blocked: number }[]>`
        SELECT count(*)::int AS blocked FROM pg_stat_activity WHERE ${row.pid}::int = ANY (pg_blocking_pids(pid))`;
      expect(waiting?.blocked).toBeGreaterThan(0);
    });
    // And it goes on waiting, with no lock timeout of its own.
    const waited = new Promise((resolve) => setTimeout(() => resolve('waiting'), 2_000));
    expect(await Promise.race([outcome, waited])).toBe('waiting');
    await row.release();

    expect(await reserving).toHaveLength(1);
    expect(await inventoryOf(a.id)).toBe(4);
  });
});
