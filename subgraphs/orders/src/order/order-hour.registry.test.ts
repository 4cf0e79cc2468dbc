import { randomUUID } from 'node:crypto';
import { silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProductsClient } from '../product/products.client.js';
import { OrderModel } from './order.model.js';
import { OrderService } from './order.service.js';
import {
  address,
  admin,
  BOOK,
  customer,
  type OrdersFixture,
  startOrdersFixture,
  tokens,
} from './order.test-fixture.js';
import { OrderStatus, PaymentStatus } from './order.type.js';
import { OrderHoursJob } from './order-hour.job.js';
import { hourOf, hourStart, OrderHourModel, OrderMigrationModel } from './order-hour.model.js';
import { CREATED_HOUR_BACKFILL, OrderHourRegistry } from './order-hour.registry.js';

const HOUR_MS = 3_600_000;
const NOW = new Date('2031-06-15T12:30:00Z');
const hoursAgo = (hours: number, minutes = 0) => new Date(NOW.getTime() - hours * HOUR_MS + minutes * 60_000);
const current = hourOf(NOW);

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterAll(() => fx.close());
beforeEach(async () => {
  await Promise.all([OrderModel.deleteMany({}), OrderHourModel.deleteMany({}), OrderMigrationModel.deleteMany({})]);
});

const ada = customer('user-hours-ada');

/** An order stored as `create` stores it, placed at `createdAt`. */
async function storeOrder(createdAt: Date): Promise<string> {
  const _id = randomUUID();
  await OrderModel.create({
    _id,
    userId: ada.id,
    items: [{ productId: BOOK, quantity: 1, priceCents: 100 }],
    status: OrderStatus.PENDING,
    paymentStatus: PaymentStatus.PENDING,
    totalCents: 100,
    shippingAddress: address,
    pendingEvents: [],
    createdAt,
  });
  return _id;
}

/** An orders service of its own: each test starts from empty hours. */
const serviceWith = (hours: OrderHourRegistry) =>
  new OrderService(new ProductsClient(fx.products.url, tokens), { kick: () => {} }, hours);

/** Every page of all orders as an admin, `first` at a time, through the service. */
async function pageAll(orders: OrderService, first: number) {
  const seen: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const result = await orders.list(fx.as(admin), { first, after });
    seen.push(...result.edges.map((edge) => edge.node.id));
    totals.add(result.totalCount);
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

  it('backfills orders stored without an hour at each start until one finds none', async () => {
    const old = [hoursAgo(200), hoursAgo(200, 3), hoursAgo(70)];
    await OrderModel.collection.insertMany(
      old.map((createdAt) => ({ _id: randomUUID() as never, userId: ada.id, createdAt, updatedAt: createdAt })),
    );
    const hours = new OrderHourRegistry();
    await hours.backfill(silentLogger);
    const stored = await OrderModel.find().lean();
    expect(stored.map((order) => order.createdHour).sort()).toEqual(old.map(hourOf).sort());
    expect(await registered()).toEqual([hourOf(hoursAgo(200)), hourOf(hoursAgo(70))]);
    expect(await hours.count(NOW)).toBe(3);
    // Not done yet: a replica of the previous version may still be storing orders without an hour.
    expect(await OrderMigrationModel.exists({ _id: CREATED_HOUR_BACKFILL })).toBeNull();
    await OrderModel.collection.insertOne({ _id: randomUUID() as never, userId: ada.id, createdAt: hoursAgo(60) });
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderModel.countDocuments({ createdHour: { $exists: false } })).toBe(0);
    // The start that found none records it: later starts do not read the collection again.
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderMigrationModel.exists({ _id: CREATED_HOUR_BACKFILL })).not.toBeNull();
    await OrderModel.collection.insertOne({ _id: randomUUID() as never, userId: ada.id, createdAt: hoursAgo(50) });
    await new OrderHourRegistry().backfill(silentLogger);
    expect(await OrderModel.countDocuments({ createdHour: { $exists: false } })).toBe(1);
  });
});
