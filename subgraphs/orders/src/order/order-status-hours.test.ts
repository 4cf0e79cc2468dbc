import { randomUUID } from 'node:crypto';
import { orderUpdated, paymentSucceeded } from '@shop/events';
import { HOUR_MS, hourOf } from '@shop/platform/core';
import { explainShapes, recordQueryShapes } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OrderModel } from './order.model.js';
import { OrderService } from './order.service.js';
import {
  admin,
  customer,
  deleteOrdersAndHours,
  type OrdersFixture,
  orderDocument,
  startOrdersFixture,
} from './order.test-fixture.js';
import { OrderStatus, PaymentStatus } from './order.type.js';
import { OrderHourModel, OrderHourTouchModel } from './order-hour.model.js';
import { lastClosedHour, OrderHourRegistry } from './order-hour.registry.js';
import { countHoursByStatus } from './order-status-hours.js';
import { OrderTransitionModel, transitionId } from './order-transition.model.js';

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterAll(() => fx.close());
beforeEach(deleteOrdersAndHours);

const ada = customer('user-status-hours-ada');
const now = new Date();
const hoursAgo = (hours: number, seconds = 0) => new Date(now.getTime() - hours * HOUR_MS - seconds * 1_000);
const order = (createdAt: Date, status: OrderStatus) => orderDocument(ada.id, createdAt, status);

const pay = (orders: OrderService, orderId: string, paymentId: string = randomUUID()) =>
  orders.recordPaymentSucceeded(
    paymentSucceeded.create({ paymentId, orderId, userId: ada.id, amount: '1.00', transactionId: 't' }),
  );

/**
 * A history: 1,010 PAID orders in five hours a day and a half ago (more than a status is read at
 * once, so it is read an hour at a time), and fifty older hours of one PENDING order each.
 */
async function history(hours: OrderHourRegistry): Promise<string[]> {
  const paid = Array.from({ length: 1_010 }, (_, i) => order(hoursAgo(30 + (i % 5), i), OrderStatus.PAID));
  const pending = Array.from({ length: 50 }, (_, i) => order(hoursAgo(35 + i), OrderStatus.PENDING));
  for (const { createdAt } of [...paid.slice(0, 5), ...pending]) await hours.ensure(createdAt);
  await hours.ensure(now);
  await OrderModel.insertMany([...paid, ...pending]);
  // What each closed hour did to each status, as the hours job records it: placed in their status.
  const nets = new Map<number, Record<string, number>>();
  for (const { createdAt, status } of [...paid, ...pending]) {
    const net = nets.get(hourOf(createdAt)) ?? {};
    net[status] = (net[status] ?? 0) + 1;
    nets.set(hourOf(createdAt), net);
  }
  for (const [hour, statusNet] of nets) await OrderHourModel.updateOne({ _id: hour }, { $set: { statusNet } });
  return pending.map((pendingOrder) => pendingOrder._id);
}

/** Every PAID order as an admin pages through them, and how many hours of orders the pages read. */
async function pagePaid(orders: OrderService) {
  const hourReads: unknown[] = [];
  mongoose.set('debug', (collection: string, method: string, filter: Record<string, unknown>) => {
    if (collection === 'orders' && method === 'find' && 'createdHour' in filter) hourReads.push(filter.createdHour);
  });
  const seen: string[] = [];
  try {
    let after: string | null = null;
    for (let page = 0; page < 30; page++) {
      const result = await orders.list(fx.as(admin), { first: 100, after, status: OrderStatus.PAID });
      seen.push(...result.edges.map((edge) => edge.node.id));
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
  } finally {
    mongoose.set('debug', false);
  }
  return { seen, hoursRead: new Set(hourReads as number[]) };
}

/** The hours holding a PAID order now. */
const paidHours = async () =>
  new Set((await OrderModel.find({ status: OrderStatus.PAID }).lean()).map((paid) => paid.createdHour));
/** The hours up to `counted` that a listing read though they hold no PAID order. */
const readWithoutPaid = (read: Set<number>, paid: Set<number>, counted: number) =>
  [...read].filter((hour) => hour <= counted && !paid.has(hour));
const allPaid = async () =>
  (await OrderModel.find({ status: OrderStatus.PAID }).sort({ createdAt: -1, _id: -1 }).lean()).map((o) => o._id);
const serviceWith = (hours: OrderHourRegistry) => new OrderService(fx.peers(), { kick: () => {} }, hours);

describe("an admin's listing of one status skips the hours with none of it", () => {
  it('reads only the hours holding it once counted, and an hour whose order moved into it since', async () => {
    const hours = new OrderHourRegistry();
    const orders = serviceWith(hours);
    const pending = await history(hours);
    // Before any count, the last page looks for more PAID orders in every hour back.
    const before = await pagePaid(orders);
    expect(before.seen).toEqual(await allPaid());
    expect(before.hoursRead.size).toBeGreaterThanOrEqual(55);

    const recorder = recordQueryShapes();
    await countHoursByStatus(hours, lastClosedHour(now));
    const counted = await pagePaid(orders);
    expect(counted.seen).toEqual(await allPaid());
    // Once counted, a closed hour is read only if it holds a PAID order (the open hours have no count).
    expect(readWithoutPaid(counted.hoursRead, await paidHours(), lastClosedHour(now))).toEqual([]);

    // An old hour's order is paid now, after its hour was counted with none PAID: still listed.
    const late = pending[20] ?? '';
    await pay(orders, late);
    const moved = await pagePaid(orders);
    expect(moved.seen).toContain(late);
    expect(moved.seen).toEqual(await allPaid());
    recorder.stop();

    // Once this hour is closed and counted, its payment is in its order's hour's count.
    await countHoursByStatus(hours, hourOf(now));
    const later = new OrderHourRegistry(() => new Date(now.getTime() + 2 * HOUR_MS));
    const recounted = await pagePaid(serviceWith(later));
    expect(recounted.seen).toEqual(await allPaid());
    expect(readWithoutPaid(recounted.hoursRead, await paidHours(), hourOf(now))).toEqual([]);
    expect((await OrderHourModel.findById(hourOf(hoursAgo(55))).lean())?.inStatus).toEqual({
      PENDING: 0,
      PAID: 1,
      SHIPPED: 0,
      DELIVERED: 0,
      CANCELLED: 0,
    });

    // The counts, the watermark, and the claims and touches since it: each read served by an index
    // (last: the check pads the collections).
    const report = await explainShapes(recorder.shapes());
    expect(report.scanned).toEqual([]);
    expect(report.servedCollections).toEqual(
      expect.arrayContaining(['order_hour_touches', 'order_hour_watermarks', 'order_transitions', 'orders']),
    );
  });

  it('finds an order whose claim was applied in a later hour than it was made in (a touch)', async () => {
    const hours = new OrderHourRegistry();
    const orders = serviceWith(hours);
    const pending = await history(hours);
    await countHoursByStatus(hours, lastClosedHour(now));
    // A claim made two hours ago whose writer died before applying it: the order is still PENDING,
    // and that claim's hour is behind the watermark, so no count after it will look at it again.
    const stalled = pending[30] ?? '';
    const stored = await OrderModel.findById(stalled).lean();
    const from = { status: OrderStatus.PENDING, paymentStatus: PaymentStatus.PENDING };
    await OrderTransitionModel.create({
      _id: transitionId(stalled, from),
      orderId: stalled,
      from,
      to: { status: OrderStatus.PAID, paymentStatus: PaymentStatus.SUCCEEDED, paymentId: 'p-stalled' },
      event: orderUpdated.create({
        orderId: stalled,
        userId: ada.id,
        previousStatus: OrderStatus.PENDING,
        status: OrderStatus.PAID,
        paymentStatus: PaymentStatus.SUCCEEDED,
      }),
      createdAt: hoursAgo(2),
      createdHour: hourOf(hoursAgo(2)),
      orderHour: stored?.createdHour,
    });
    // The payment's event delivered again decides on it, and rolls the claim forward now.
    await pay(orders, stalled, 'p-stalled');
    expect((await OrderModel.findById(stalled).lean())?.status).toBe(OrderStatus.PAID);
    const touch = `${transitionId(stalled, from)}@${hourOf(new Date())}`;
    expect(await OrderHourTouchModel.findById(touch).lean()).toMatchObject({
      orderHour: stored?.createdHour,
      createdHour: hourOf(new Date()),
    });
    const { seen } = await pagePaid(orders);
    expect(seen).toContain(stalled);
    expect(seen).toEqual(await allPaid());
  });
});
