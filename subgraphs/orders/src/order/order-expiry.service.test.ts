import { orderUpdated, paymentSucceeded } from '@shop/events';
import { metricsRegistry } from '@shop/platform/telemetry';
import { metricValue, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductsClient } from '../product/products.client.js';
import { reportOrderGauges } from './order.metrics.js';
import { OrderModel } from './order.model.js';
import { OrderService } from './order.service.js';
import {
  ada,
  address,
  BOOK,
  type OrdersFixture,
  orderDocument,
  startOrdersFixture,
  tokens,
} from './order.test-fixture.js';
import type { Order } from './order.type.js';
import { OrderExpiryJob } from './order-expiry.job.js';
import { SWEEP_BATCH } from './order-sweep.batches.js';

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterAll(() => fx.close());

const MINUTE = 60_000;
const settings = { ORDER_PAYMENT_TIMEOUT: 30 * MINUTE, ORDER_PAYMENT_GRACE: 2 * MINUTE, ORDER_EXPIRY_INTERVAL: MINUTE };
const place = (quantity = 1) =>
  fx.orders.create(fx.as(ada), { items: [{ productId: BOOK, quantity }], shippingAddress: address });
/** Back-dates an order as if it had been placed `minutes` ago (on the raw collection: createdAt is immutable). */
const age = (order: Order, minutes: number) =>
  OrderModel.collection.updateOne(
    { _id: order.id as never },
    { $set: { createdAt: new Date(Date.now() - minutes * MINUTE) } },
  );
const stored = (order: Order) => OrderModel.findById(order.id).lean();
/** Puts an order back where a create that died between its insert and products' confirmation left it. */
const cutShort = async (order: Order) => {
  await OrderModel.collection.updateOne({ _id: order.id as never }, { $set: { stockConfirmed: false } });
  fx.products.confirmed.delete(order.id);
};
/**
 * Orders whose first create fails once its insert has committed, so its caller is told it failed (in
 * production, say, the insert's answer is lost; here the relay's wake-up throws once).
 */
const failingAfterInsert = () => {
  let failNextKick = true;
  const kick = () => {
    if (!failNextKick) return;
    failNextKick = false;
    throw new Error('connection reset after the insert');
  };
  return new OrderService(fx.peers(), { kick });
};
const history = async (order: Order) =>
  ((await stored(order))?.pendingEvents ?? [])
    .filter((e) => e.type === 'order.updated')
    .map((e) => orderUpdated.schema.parse(e).data)
    .map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`);

describe('OrderExpiryJob (ORDER_PAYMENT_TIMEOUT)', () => {
  it('cancels only PENDING orders unpaid past the timeout and its grace, releases their stock, once', async () => {
    const job = new OrderExpiryJob(fx.orders.expiry, settings, silentLogger);
    const overdue = await place(3);
    const failedPayment = await place(1);
    const inGrace = await place(1);
    const fresh = await place(1);
    const paidLate = await place(1);
    await age(overdue, 33);
    // Past its payment window, not its grace: a payment started in time may still be settling.
    await age(inGrace, 31);
    await age(failedPayment, 45);
    await age(fresh, 29);
    await age(paidLate, 60);
    await OrderModel.updateOne({ _id: failedPayment.id }, { $set: { paymentStatus: 'FAILED' } });
    await OrderModel.updateOne({ _id: paidLate.id }, { $set: { status: 'PAID', paymentStatus: 'SUCCEEDED' } });
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;

    const result = await job.runOnce();
    expect(result?.expired.sort()).toEqual([overdue.id, failedPayment.id].sort());
    expect(result?.released).toBe(2);
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore + 4);
    expect(await stored(overdue)).toMatchObject({ status: 'CANCELLED', paymentStatus: 'PENDING', stockReleased: true });
    expect(await history(overdue)).toEqual(['PENDING→CANCELLED/PENDING']);
    expect(await history(failedPayment)).toEqual(['PENDING→CANCELLED/FAILED']);
    expect((await stored(inGrace))?.status).toBe('PENDING');
    expect((await stored(fresh))?.status).toBe('PENDING');
    expect((await stored(paidLate))?.status).toBe('PAID');

    // The next sweep finds nothing more to do; the others expire when their grace is over.
    expect(await job.runOnce()).toEqual({ expired: [], released: 0 });
    expect(await job.runOnce(new Date(Date.now() + 2 * MINUTE))).toMatchObject({ expired: [inGrace.id] });
    expect(await job.runOnce(new Date(Date.now() + 4 * MINUTE))).toMatchObject({ expired: [fresh.id] });
    expect(await history(overdue)).toHaveLength(1);
  });

  it('keeps an order past its window while payments holds its payment SUCCEEDED or PENDING, or cannot say; expires it once that payment failed', async () => {
    const job = new OrderExpiryJob(fx.orders.expiry, settings, silentLogger);
    const paidInTime = await place(1);
    const settling = await place(1);
    const unpaid = await place(1);
    await age(paidInTime, 50);
    await age(settling, 49);
    await age(unpaid, 48);
    // payment.succeeded is held up (a broker outage, say); a charge of the other is being settled.
    fx.payments.statuses.set(paidInTime.id, 'SUCCEEDED');
    fx.payments.statuses.set(settling.id, 'PENDING');
    expect((await job.runOnce())?.expired).toEqual([unpaid.id]);
    expect([(await stored(paidInTime))?.status, (await stored(settling))?.status]).toEqual(['PENDING', 'PENDING']);

    // The charge failed, but payments does not answer: nothing is cancelled while it cannot say.
    fx.payments.statuses.set(settling.id, 'FAILED');
    fx.payments.down = true;
    const requestsBefore = fx.payments.requests;
    try {
      expect((await job.runOnce())?.expired).toEqual([]);
      // Asked once for the batch of both orders, not once an order: an outage costs one timeout a pass.
      expect(fx.payments.requests - requestsBefore).toBe(1);
    } finally {
      fx.payments.down = false;
    }
    expect((await job.runOnce())?.expired).toEqual([settling.id]);
    // The held-up event comes: the order kept is paid, not refunded.
    await fx.orders.recordPaymentSucceeded(
      paymentSucceeded.create({
        paymentId: 'pay-held-up',
        orderId: paidInTime.id,
        userId: ada.id,
        amount: '19.99',
        transactionId: 'tx-held-up',
      }),
    );
    expect(await stored(paidInTime)).toMatchObject({ status: 'PAID', paymentStatus: 'SUCCEEDED' });
  });

  it('skips the orders it keeps: a full batch of them holds back no unpaid order behind it', async () => {
    const job = new OrderExpiryJob(fx.orders.expiry, settings, silentLogger);
    const longAgo = Date.now() - 3 * 60 * MINUTE;
    const kept = Array.from({ length: SWEEP_BATCH }, (_, i) => orderDocument(ada.id, new Date(longAgo + i)));
    await OrderModel.insertMany(kept);
    for (const order of kept) fx.payments.statuses.set(order._id, 'SUCCEEDED');
    const unpaid = await place(1);
    await age(unpaid, 60);
    const requestsBefore = fx.payments.requests;
    try {
      expect((await job.runOnce())?.expired).toEqual([unpaid.id]);
      // One request a batch: the full batch kept, then the batch with the unpaid order.
      expect(fx.payments.requests - requestsBefore).toBe(2);
    } finally {
      // As their events would: paid, so no later sweep of this file finds them.
      await OrderModel.updateMany({ _id: { $in: kept.map((order) => order._id) } }, { $set: { status: 'PAID' } });
    }
  });

  it('keeps retrying the stock release of an expired order until products confirms it', async () => {
    reportOrderGauges();
    const pendingReleases = async () => metricValue(await metricsRegistry.metrics(), 'orders_stock_release_pending');
    const pendingBefore = await pendingReleases();
    const order = await place(2);
    await age(order, 40);
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    // A replica that cannot reach products: the order still expires, its stock stays reserved.
    const unreachable = new OrderService(
      { ...fx.peers(), products: new ProductsClient('http://127.0.0.1:9/graphql', tokens) },
      { kick: () => {} },
    );
    const cut = await new OrderExpiryJob(unreachable.expiry, settings, silentLogger).runOnce();
    expect(cut).toEqual({ expired: [order.id], released: 0 });
    expect(await stored(order)).toMatchObject({ status: 'CANCELLED', stockReleased: false });
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore);
    // What the alert on stuck stock reads.
    expect(await pendingReleases()).toBe(pendingBefore + 1);

    const retried = await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
    expect(retried).toEqual({ expired: [], released: 1 });
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore + 2);
    expect((await stored(order))?.stockReleased).toBe(true);
    expect(await pendingReleases()).toBe(pendingBefore);
    expect(await history(order)).toEqual(['PENDING→CANCELLED/PENDING']);
  });

  it('confirms the stock of an order whose create was cut short before confirmation', async () => {
    const order = await place(2);
    // As if orders had died between storing the order and confirming its reservation.
    await cutShort(order);
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;

    const result = await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
    expect(result?.expired).not.toContain(order.id);
    expect(fx.products.confirmed.has(order.id)).toBe(true);
    // Bookkeeping, not a change the customer sees: updatedAt stays.
    expect(await stored(order)).toMatchObject({ status: 'PENDING', stockConfirmed: true, updatedAt: order.updatedAt });
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore);
    expect(await history(order)).toEqual([]);
  });

  it('marks more than one batch (100) of unpaid orders in one pass', async () => {
    const orders: Order[] = [];
    fx.products.stock.set(BOOK, (fx.products.stock.get(BOOK) ?? 0) + SWEEP_BATCH + 5);
    for (let i = 0; i < SWEEP_BATCH + 5; i++) orders.push(await place(1));
    await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
    const marked = await OrderModel.countDocuments({
      _id: { $in: orders.map((order) => order.id) },
      stockConfirmed: true,
    });
    expect(marked).toBe(orders.length);
  });

  it('releases the stock of more than one batch (100) of expired orders in one pass', async () => {
    const orders: Order[] = [];
    fx.products.stock.set(BOOK, (fx.products.stock.get(BOOK) ?? 0) + SWEEP_BATCH + 5);
    for (let i = 0; i < SWEEP_BATCH + 5; i++) orders.push(await place(1));
    for (const order of orders) await age(order, 40);
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;

    const result = await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
    expect(result?.expired).toHaveLength(orders.length);
    expect(result?.released).toBe(orders.length);
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore + orders.length);
    const held = await OrderModel.countDocuments({
      _id: { $in: orders.map((order) => order.id) },
      stockReleased: false,
    });
    expect(held).toBe(0);
  });

  it('cancels an order cut short before confirmation whose reservation expired meanwhile', async () => {
    const order = await place(3);
    await cutShort(order);
    fx.products.expire(order.id);
    const stockAfterExpiry = fx.products.stock.get(BOOK) ?? 0;

    const job = new OrderExpiryJob(fx.orders.expiry, settings, silentLogger);
    const result = await job.runOnce();
    expect(result?.expired).toContain(order.id);
    expect(await stored(order)).toMatchObject({ status: 'CANCELLED', stockReleased: true });
    expect(await history(order)).toEqual(['PENDING→CANCELLED/PENDING']);
    expect(fx.products.stock.get(BOOK)).toBe(stockAfterExpiry);
    expect((await job.runOnce())?.expired).not.toContain(order.id);
    expect(await history(order)).toHaveLength(1);
  });

  it('treats PENDING orders stored without stockConfirmed (by a replica from before confirmations, mid-upgrade) as unconfirmed', async () => {
    const held = await place(1);
    const lapsed = await place(2);
    for (const order of [held, lapsed]) {
      await OrderModel.collection.updateOne({ _id: order.id as never }, { $unset: { stockConfirmed: '' } });
      fx.products.confirmed.delete(order.id);
    }
    fx.products.expire(lapsed.id);

    const result = await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
    expect(result?.expired).toContain(lapsed.id);
    expect(result?.expired).not.toContain(held.id);
    expect(fx.products.confirmed.has(held.id)).toBe(true);
    expect(await stored(held)).toMatchObject({ status: 'PENDING', stockConfirmed: true });
    expect(await stored(lapsed)).toMatchObject({ status: 'CANCELLED', stockReleased: true });
  });

  it('cancels, with its stock given back once, an order stored by a failed create whose stock the sweep confirmed first', async () => {
    const orders = failingAfterInsert();
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    let orderId = '';
    // The failed create's release is slow to reach products: a sweep finds the stored order and
    // confirms its stock before it arrives.
    fx.products.beforeRelease = async (id) => {
      fx.products.beforeRelease = undefined;
      orderId = id;
      await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
      expect(await OrderModel.findById(id).lean()).toMatchObject({ status: 'PENDING', stockConfirmed: true });
    };
    const failed = orders.create(fx.as(ada), { items: [{ productId: BOOK, quantity: 4 }], shippingAddress: address });
    await expect(failed).rejects.toThrow('connection reset after the insert');

    // Not an order the customer was told failed, holding stock: cancelled, and its stock back once.
    expect(await OrderModel.findById(orderId).lean()).toMatchObject({ status: 'CANCELLED', stockReleased: true });
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore);
    expect(fx.products.releaseCalls.filter((id) => id === orderId)).toHaveLength(1);
  });

  it('cancels an order stored by a failed create whose release failed too; the sweep gives its stock back', async () => {
    // Products does not answer the release of the failed create either.
    const orders = failingAfterInsert();
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    let orderId = '';
    let productsDown = true;
    fx.products.beforeRelease = async (id) => {
      orderId = id;
      if (productsDown) throw new Error('products does not answer');
    };
    try {
      const failed = orders.create(fx.as(ada), { items: [{ productId: BOOK, quantity: 4 }], shippingAddress: address });
      await expect(failed).rejects.toThrow('connection reset after the insert');
      // Cancelled at once: left PENDING, the next sweep would have confirmed its stock, a live order.
      expect(await OrderModel.findById(orderId).lean()).toMatchObject({ status: 'CANCELLED', stockReleased: false });
      expect(fx.products.stock.get(BOOK)).toBe(stockBefore - 4);

      productsDown = false;
      await new OrderExpiryJob(fx.orders.expiry, settings, silentLogger).runOnce();
    } finally {
      fx.products.beforeRelease = undefined;
    }
    expect(await OrderModel.findById(orderId).lean()).toMatchObject({ status: 'CANCELLED', stockReleased: true });
    expect(fx.products.confirmed.has(orderId)).toBe(false);
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore);
  });

  it('never runs two sweeps of one process at once', async () => {
    const job = new OrderExpiryJob(fx.orders.expiry, settings, silentLogger);
    const [first, second] = await Promise.all([job.runOnce(), job.runOnce()]);
    expect(first).toBeDefined();
    expect(second).toBeUndefined();
  });
});
