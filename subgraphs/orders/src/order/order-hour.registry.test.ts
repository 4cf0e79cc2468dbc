import { randomUUID } from 'node:crypto';
import { paymentSucceeded } from '@shop/events';
import { HOUR_MS, hourOf, hourStart } from '@shop/platform/core';
import { MAX_UPDATES_PER_COMMAND } from '@shop/platform/mongo';
import { explainShapes, recordQueryShapes, silentLogger } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrderModel } from './order.model.js';
import { OrderService } from './order.service.js';
import {
  address,
  admin,
  BOOK,
  customer,
  deleteOrdersAndHours,
  type OrdersFixture,
  orderDocument,
  startOrdersFixture,
} from './order.test-fixture.js';
import { OrderStatus } from './order.type.js';
import { OrderHoursJob } from './order-hour.job.js';
import { OrderHourModel, OrderMigrationModel } from './order-hour.model.js';
import { CREATED_HOUR_BACKFILL, OrderHourRegistry, TRANSITION_HOUR_BACKFILL } from './order-hour.registry.js';
import { OrderTransitionModel } from './order-transition.model.js';

const NOW = new Date('2031-06-15T12:30:00Z');
const hoursAgo = (hours: number, minutes = 0) => new Date(NOW.getTime() - hours * HOUR_MS + minutes * 60_000);
const current = hourOf(NOW);

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterAll(() => fx.close());
beforeEach(deleteOrdersAndHours);

const ada = customer('user-hours-ada');

/** A PENDING order of ada's for 1.00, placed at `createdAt`. */
const pendingOrder = (createdAt: Date) => orderDocument(ada.id, createdAt);

/** An order stored as `create` stores it, placed at `createdAt`, its stock confirmed. */
async function storeOrder(createdAt: Date): Promise<string> {
  return (await OrderModel.create(pendingOrder(createdAt)))._id;
}

/** An orders service of its own: each test starts from empty hours. */
const serviceWith = (hours: OrderHourRegistry) => new OrderService(fx.peers(), { kick: () => {} }, hours);

/** Every page of all orders (or those of `status`) as an admin, `first` at a time, through the service. */
async function pageAll(orders: OrderService, first: number, status?: OrderStatus) {
  const seen: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const result = await orders.list(fx.as(admin), { first, after, status });
    seen.push(...result.edges.map((edge) => edge.node.id));
    totals.add(await result.totalCount);
    if (!result.pageInfo.hasNextPage) return { seen, totals: [...totals] };
    after = result.pageInfo.endCursor;
  }
  throw new Error('more than 50 pages');
}

const registered = async () => (await OrderHourModel.find().lean()).map((hour) => hour._id).sort();

describe('OrderHourRegistry: all orders an hour at a time', () => {
  it('gives each order the hour of its creation, registered with the next one before the insert', async () => {
    const id = await storeOrder(hoursAgo(30, 5));
    expect((await OrderModel.findById(id).lean())?.createdHour).toBe(hourOf(hoursAgo(30, 5)));
    const placed = await serviceWith(new OrderHourRegistry()).create(fx.as(ada), {
      items: [{ productId: BOOK, quantity: 1 }],
      shippingAddress: address,
    });
    const hour = hourOf(placed.createdAt);
    expect((await OrderModel.findById(placed.id).lean())?.createdHour).toBe(hour);
    // Registered before the insert: the order's hour, or the one before it across an hour's turn.
    const hours = await registered();
    expect(hours).toContain(hour);
    expect(hours).toHaveLength(2);
  });

  it('pages an admin through every order newest first across hours, empty ones included, with one total', async () => {
    const hours = new OrderHourRegistry(() => NOW);
    // Registered as the processes that ran then would have: each hour with the next.
    for (const ago of [90, 50, 49, 20, 2, 0]) await hours.ensure(hoursAgo(ago));
    const placed = [
      await storeOrder(hoursAgo(90)),
      await storeOrder(hoursAgo(49, -1)),
      await storeOrder(hoursAgo(49)),
      await storeOrder(hoursAgo(49)), // the same instant: the id breaks the tie
      await storeOrder(hoursAgo(20)),
      await storeOrder(hoursAgo(1, 10)),
      await storeOrder(hoursAgo(1, 10)),
      await storeOrder(hoursAgo(0, 5)),
    ];
    const expected = (await OrderModel.find().sort({ createdAt: -1, _id: -1 }).lean()).map((order) => order._id);
    expect(expected).toHaveLength(placed.length);
    const orders = serviceWith(hours);
    for (const first of [1, 2, 3, 100]) {
      const { seen, totals } = await pageAll(orders, first);
      expect(seen, `pages of ${first}`).toEqual(expected);
      expect(totals).toEqual([placed.length]);
    }
  });

  it('counts all orders for an admin only when the page’s totalCount is read, once however often', async () => {
    const hours = new OrderHourRegistry(() => NOW);
    await hours.ensure(hoursAgo(2));
    await storeOrder(hoursAgo(2));
    const counts = vi.spyOn(hours, 'count');
    const page = await serviceWith(hours).list(fx.as(admin), { first: 1 });
    expect(page.edges).toHaveLength(1);
    expect(counts).not.toHaveBeenCalled();
    expect(await Promise.all([page.totalCount, page.totalCount])).toEqual([1, 1]);
    expect(counts).toHaveBeenCalledTimes(1);
  });

  it('lists no order of an hour nobody registered: every process registers its hours ahead', async () => {
    const hours = new OrderHourRegistry(() => NOW);
    await hours.ensure(hoursAgo(2));
    const listed = await storeOrder(hoursAgo(1, 10)); // the next hour, registered with the one before
    await storeOrder(hoursAgo(0)); // an hour no process registered
    expect((await pageAll(serviceWith(hours), 10)).seen).toEqual([listed]);
  });

  it('counts a closed hour once and records it; a closed empty hour is no longer read', async () => {
    const hours = new OrderHourRegistry();
    for (const ago of [10, 4, 1, 0]) await hours.ensure(hoursAgo(ago));
    await storeOrder(hoursAgo(10));
    await storeOrder(hoursAgo(10, 1));
    await storeOrder(hoursAgo(1));
    expect(await hours.count(NOW)).toBe(3);
    const recorded = Object.fromEntries((await OrderHourModel.find().lean()).map((hour) => [hour._id, hour.count]));
    // Closed: ended ten minutes ago or more. Open hours stay uncounted, to be counted again.
    expect(recorded).toEqual({
      [current - 10]: 2,
      [current - 9]: 0,
      [current - 4]: 0,
      [current - 3]: 0,
      [current - 1]: 1,
      [current]: undefined,
      [current + 1]: undefined,
    });
    expect(await hours.through()).toEqual([current + 1, current, current - 1, current - 10]);
    expect(await hours.through(current - 2)).toEqual([current - 10]);
    // Five minutes into the next hour, this one is still open: a late insert (another replica's clock) counts.
    await storeOrder(hoursAgo(0, 29));
    expect(await hours.count(new Date(hourStart(current + 1).getTime() + 5 * 60_000))).toBe(4);
    expect((await OrderHourModel.findById(current).lean())?.count).toBeUndefined();
    // A recorded count is what is counted from then on, in a process that reads the hours afresh.
    await OrderHourModel.updateOne({ _id: current - 10 }, { $set: { count: 7 } });
    expect(await new OrderHourRegistry().count(NOW)).toBe(9);
  });

  it("registers the hours ahead and records the closed hours' counts on its schedule, not in a request", async () => {
    const hours = new OrderHourRegistry();
    await hours.ensure(hoursAgo(3));
    await storeOrder(hoursAgo(3));
    await storeOrder(hoursAgo(2, 20));
    const job = new OrderHoursJob(hours, silentLogger);
    await job.runOnce(NOW);
    const recorded = Object.fromEntries((await OrderHourModel.find().lean()).map((hour) => [hour._id, hour.count]));
    expect(recorded).toEqual({ [current - 3]: 1, [current - 2]: 1, [current]: undefined, [current + 1]: undefined });
  });

  it('backfills orders and transitions stored without an hour at each start until one finds none', async () => {
    const old = [hoursAgo(200), hoursAgo(200, 3), hoursAgo(70)];
    await OrderModel.collection.insertMany(
      old.map((createdAt) => ({ _id: randomUUID() as never, userId: ada.id, createdAt, updatedAt: createdAt })),
    );
    // A transition claimed before transitions had an hour, of the newest of them.
    await OrderTransitionModel.collection.insertOne({ _id: 'claimed-before-hours' as never, createdAt: hoursAgo(69) });
    const hours = new OrderHourRegistry();
    await hours.backfill(silentLogger);
    expect((await OrderTransitionModel.findById('claimed-before-hours').lean())?.createdHour).toBe(
      hourOf(hoursAgo(69)),
    );
    const stored = await OrderModel.find().lean();
    expect(stored.map((order) => order.createdHour).sort()).toEqual(old.map(hourOf).sort());
    expect(await registered()).toEqual([hourOf(hoursAgo(200)), hourOf(hoursAgo(70)), hourOf(hoursAgo(69))]);
    expect(await hours.count(NOW)).toBe(3);
    // Not done yet: a replica of the previous version may still be storing orders without an hour.
    expect(await OrderMigrationModel.exists({ _id: CREATED_HOUR_BACKFILL })).toBeNull();
    await OrderModel.collection.insertOne({ _id: randomUUID() as never, userId: ada.id, createdAt: hoursAgo(60) });
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderModel.countDocuments({ createdHour: { $exists: false } })).toBe(0);
    // The start that found none records it: later starts do not read the collection again.
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderMigrationModel.exists({ _id: CREATED_HOUR_BACKFILL })).not.toBeNull();
    expect(await OrderMigrationModel.exists({ _id: TRANSITION_HOUR_BACKFILL })).not.toBeNull();
    await OrderModel.collection.insertOne({ _id: randomUUID() as never, userId: ada.id, createdAt: hoursAgo(50) });
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderModel.countDocuments({ createdHour: { $exists: false } })).toBe(1);
  });
  // ci146: of two orders replicas started at once on a new database (the scaled deploy smoke), one
  // crashed: both found the backfill not done, and FerretDB refused the second one's mark.
  it('finishes in every replica started at the same moment on a new database', async () => {
    const starts = Array.from({ length: 8 }, () => new OrderHourRegistry().backfill(silentLogger));
    expect((await Promise.allSettled(starts)).filter((start) => start.status === 'rejected')).toEqual([]);
    expect(await OrderMigrationModel.exists({ _id: CREATED_HOUR_BACKFILL })).not.toBeNull();
  });

  it('leaves no order in an hour nobody registered when a start stops midway, and the next finishes it', async () => {
    const many = 2 * MAX_UPDATES_PER_COMMAND;
    await OrderModel.collection.insertMany(
      Array.from({ length: many }, (_, i) => ({
        _id: randomUUID() as never,
        userId: ada.id,
        createdAt: hoursAgo(300 + (i % 11)),
      })),
    );
    // The start is stopped after its first command (killed, or a write that failed).
    const bulkWrite = OrderModel.bulkWrite.bind(OrderModel);
    let commands = 0;
    const stopped = vi.spyOn(OrderModel, 'bulkWrite').mockImplementation(((...args: Parameters<typeof bulkWrite>) => {
      if (++commands > 1) return Promise.reject(new Error('killed'));
      return bulkWrite(...args);
    }) as typeof OrderModel.bulkWrite);
    try {
      await expect(new OrderHourRegistry().backfill(silentLogger)).rejects.toThrow('killed');
    } finally {
      stopped.mockRestore();
    }
    const given = await OrderModel.distinct('createdHour', { createdHour: { $exists: true } });
    expect(given.length).toBeGreaterThan(0);
    expect(await registered()).toEqual(expect.arrayContaining(given));
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderModel.countDocuments({ createdHour: { $exists: false } })).toBe(0);
    expect(await registered()).toEqual(
      expect.arrayContaining(Array.from({ length: 11 }, (_, i) => hourOf(hoursAgo(300 + i)))),
    );
  });

  it('backfills many in commands FerretDB can serve (a few statements each), not one that never returns', async () => {
    const many = 4 * MAX_UPDATES_PER_COMMAND + 10;
    await OrderModel.collection.insertMany(
      Array.from({ length: many }, (_, i) => ({
        _id: randomUUID() as never,
        userId: ada.id,
        createdAt: hoursAgo(100 + (i % 7)),
      })),
    );
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderModel.countDocuments({ createdHour: { $exists: true } })).toBe(many);
  });
});

describe("OrderHourRegistry: an admin's orders of one status", () => {
  const statuses = Object.values(OrderStatus);
  /** Each status's number of orders, as the collection holds them. */
  const stored = async () =>
    Object.fromEntries(
      await Promise.all(statuses.map(async (status) => [status, await OrderModel.countDocuments({ status })] as const)),
    );
  const counted = async (hours: OrderHourRegistry, now?: Date) =>
    Object.fromEntries(
      await Promise.all(statuses.map(async (status) => [status, await hours.countWithStatus(status, now)] as const)),
    );
  const pay = (orders: OrderService, orderId: string, n: number) =>
    orders.recordPaymentSucceeded(
      paymentSucceeded.create({
        paymentId: `p-${n}`,
        orderId,
        userId: ada.id,
        amount: '1.00',
        transactionId: `t-${n}`,
      }),
    );

  it("counts each status from the hours' orders placed and transitions, recording closed hours once", async () => {
    const now = new Date();
    const hours = new OrderHourRegistry();
    const orders = serviceWith(hours);
    await hours.ensure(new Date(now.getTime() - 30 * HOUR_MS));
    await hours.ensure(now);
    // Placed 30 hours ago, moved on now: its hour of placing and this hour each hold a part.
    const old = [
      await storeOrder(new Date(now.getTime() - 30 * HOUR_MS)),
      await storeOrder(new Date(now.getTime() - 30 * HOUR_MS)),
    ];
    const recent = [await storeOrder(now), await storeOrder(now), await storeOrder(now)];
    await pay(orders, old[0] ?? '', 1);
    await pay(orders, recent[0] ?? '', 2);
    await orders.updateStatus(fx.as(admin), old[0] ?? '', OrderStatus.SHIPPED);
    await orders.updateStatus(fx.as(admin), recent[1] ?? '', OrderStatus.CANCELLED);
    const expected = await stored();
    expect(expected).toEqual({ PENDING: 2, PAID: 1, SHIPPED: 1, DELIVERED: 0, CANCELLED: 1 });
    expect(await counted(hours)).toEqual(expected);

    // Two hours on, this hour is closed too: each hour's part is recorded, and a fresh process counts from them.
    const later = new Date(now.getTime() + 2 * HOUR_MS);
    expect(await counted(hours, later)).toEqual(expected);
    // This hour's part: 3 placed, 3 moved on from PENDING, one of them on to SHIPPED (summed with
    // the next hour's, should the test have run across the hour's end).
    const parts = await OrderHourModel.find({ _id: { $gte: hourOf(now) } }).lean();
    const part = (status: OrderStatus) => parts.reduce((sum, hour) => sum + (hour.statusNet?.[status] ?? 0), 0);
    expect(Object.fromEntries(statuses.map((status) => [status, part(status)]))).toEqual({
      PENDING: 3 - 2 - 1,
      PAID: 2 - 1,
      SHIPPED: 1,
      DELIVERED: 0,
      CANCELLED: 1,
    });
    await OrderHourModel.updateOne({ _id: hourOf(now) }, { $inc: { 'statusNet.SHIPPED': 4 } });
    expect((await counted(new OrderHourRegistry(), later)).SHIPPED).toBe(5);
  });

  it('pages an admin through one status newest first: by hour when many, by its index when few', async () => {
    const now = new Date();
    const hours = new OrderHourRegistry();
    const placedAt = (i: number) => new Date(now.getTime() - (i % 5) * HOUR_MS - i * 1_000);
    for (let i = 0; i < 1_010; i++) await hours.ensure(placedAt(i)); // a command only for an hour new here
    // Many PENDING orders over five hours (more than are read at once), and a few moved on.
    await OrderModel.insertMany(Array.from({ length: 1_010 }, (_, i) => pendingOrder(placedAt(i))));
    const orders = serviceWith(hours);
    const moved = await OrderModel.find().sort({ _id: 1 }).limit(3).lean();
    // Which way each status is read: the filters of the orders finds one page sends.
    const filtersOf = async (status: OrderStatus) => {
      const filters: Record<string, unknown>[] = [];
      mongoose.set('debug', (collection: string, method: string, filter: Record<string, unknown>) => {
        if (collection === 'orders' && method === 'find') filters.push(filter);
      });
      await orders.list(fx.as(admin), { first: 5, status }).finally(() => mongoose.set('debug', false));
      return filters;
    };
    for (const [n, order] of moved.entries()) await pay(orders, order._id, n);
    const recorder = recordQueryShapes();
    expect((await filtersOf(OrderStatus.PENDING)).every((filter) => 'createdHour' in filter)).toBe(true);
    recorder.stop();
    // Each hour's read, and the count's reads of orders and transitions by hour, are served by an
    // index, as is the read of the watermark of the hours' counts by status (order-status-hours.ts).
    const report = await explainShapes(recorder.shapes());
    expect(report.scanned).toEqual([]);
    expect(report.servedCollections).toEqual(['order_hour_watermarks', 'order_hours', 'order_transitions', 'orders']);
    expect(await filtersOf(OrderStatus.PAID)).toEqual([{ status: OrderStatus.PAID }]);
    for (const status of [OrderStatus.PENDING, OrderStatus.PAID]) {
      const expected = (await OrderModel.find({ status }).sort({ createdAt: -1, _id: -1 }).lean()).map(
        (order) => order._id,
      );
      const { seen, totals } = await pageAll(orders, 100, status);
      expect(seen, status).toEqual(expected);
      expect(totals).toEqual([expected.length]);
      // Small pages too: each continues from the last one's cursor, within an hour and across.
      let after: string | null = null;
      const small: string[] = [];
      for (let page = 0; page < 15; page++) {
        const result = await orders.list(fx.as(admin), { first: 3, after, status });
        small.push(...result.edges.map((edge) => edge.node.id));
        if (!result.pageInfo.hasNextPage) break;
        after = result.pageInfo.endCursor;
      }
      expect(small).toEqual(expected.slice(0, 45));
    }
  });
});
