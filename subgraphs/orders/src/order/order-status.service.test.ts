import { type EventOf, orderUpdated, paymentFailed, paymentSucceeded, RejectedEventError } from '@shop/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderModel } from './order.model.js';
import { ada, address, admin, BOOK, bob, type OrdersFixture, startOrdersFixture } from './order.test-fixture.js';
import { type Order, OrderStatus } from './order.type.js';

let fx: OrdersFixture;
beforeAll(async () => {
  fx = await startOrdersFixture();
});
afterAll(() => fx.close());

const place = () =>
  fx.orders.create(fx.as(ada), { items: [{ productId: BOOK, quantity: 2 }], shippingAddress: address });
const change = (principal: typeof ada, order: Order, status: OrderStatus) =>
  fx.orders.updateStatus(fx.as(principal), order.id, status);
const paid = (order: Order): EventOf<typeof paymentSucceeded> =>
  paymentSucceeded.create({ paymentId: 'p1', orderId: order.id, userId: ada.id, amount: '39.98', transactionId: 't1' });
const failed = (order: Order): EventOf<typeof paymentFailed> =>
  paymentFailed.create({
    paymentId: 'p0',
    orderId: order.id,
    userId: ada.id,
    amount: '39.98',
    failureReason: 'card_declined',
  });

/** The order.updated events waiting in the order's own document (no relay runs in these tests). */
async function updates(order: Order) {
  const stored = await OrderModel.findById(order.id).lean();
  return (stored?.pendingEvents ?? [])
    .filter((e) => e.type === 'order.updated')
    .map((e) => orderUpdated.schema.parse(e).data);
}

describe('OrderService life cycle', () => {
  it('lets the owner cancel a pending order, releasing its stock, with order.updated in the same write', async () => {
    const order = await place();
    const stockBefore = fx.products.stock.get(BOOK) ?? 0;
    const cancelled = await change(ada, order, OrderStatus.CANCELLED);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', paymentStatus: 'PENDING' });
    expect(cancelled.updatedAt.getTime()).toBeGreaterThanOrEqual(order.updatedAt.getTime());
    expect(fx.products.releaseCalls).toContain(order.id);
    expect(fx.products.stock.get(BOOK)).toBe(stockBefore + 2);
    expect(await updates(order)).toEqual([
      { orderId: order.id, userId: ada.id, previousStatus: 'PENDING', status: 'CANCELLED', paymentStatus: 'PENDING' },
    ]);
    await expect(change(admin, order, OrderStatus.PENDING)).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', currentStatus: 'CANCELLED', requestedStatus: 'PENDING' },
    });
  });

  it('keeps other customers out with NOT_FOUND (as for an unknown id), whatever the transition', async () => {
    const order = await place();
    await expect(change(bob, order, OrderStatus.CANCELLED)).rejects.toMatchObject({
      extensions: { code: 'NOT_FOUND' },
    });
    await expect(fx.orders.updateStatus(fx.as(ada), 'no-such-order', OrderStatus.CANCELLED)).rejects.toMatchObject({
      extensions: { code: 'NOT_FOUND' },
    });
    expect((await fx.orders.findById(fx.as(ada), order.id)).status).toBe('PENDING');
  });

  it('moves PENDING → PAID only by payment, then admin PAID → SHIPPED → DELIVERED', async () => {
    const order = await place();
    await expect(change(admin, order, OrderStatus.PAID)).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });

    await fx.orders.recordPaymentSucceeded(paid(order));
    await fx.orders.recordPaymentSucceeded(paid(order)); // redelivered: no second change, no second event
    expect(await fx.orders.findById(fx.as(ada), order.id)).toMatchObject({
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });

    await expect(change(ada, order, OrderStatus.CANCELLED)).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', currentStatus: 'PAID', requestedStatus: 'CANCELLED' },
    });
    await expect(change(ada, order, OrderStatus.SHIPPED)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect((await change(admin, order, OrderStatus.SHIPPED)).status).toBe('SHIPPED');
    expect((await change(admin, order, OrderStatus.DELIVERED)).status).toBe('DELIVERED');
    await expect(change(admin, order, OrderStatus.CANCELLED)).rejects.toMatchObject({
      extensions: { code: 'CONFLICT' },
    });

    expect((await updates(order)).map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`)).toEqual([
      'PENDING→PAID/SUCCEEDED',
      'PAID→SHIPPED/SUCCEEDED',
      'SHIPPED→DELIVERED/SUCCEEDED',
    ]);
  });

  it('records a failed payment once, keeps the order PENDING and payable', async () => {
    const order = await place();
    await fx.orders.recordPaymentFailed(failed(order));
    await fx.orders.recordPaymentFailed(failed(order));
    expect(await fx.orders.findById(fx.as(ada), order.id)).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'FAILED',
    });
    await fx.orders.recordPaymentSucceeded(paid(order));
    expect((await fx.orders.findById(fx.as(ada), order.id)).status).toBe('PAID');
    expect((await updates(order)).map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`)).toEqual([
      'PENDING→PENDING/FAILED',
      'PENDING→PAID/SUCCEEDED',
    ]);
  });

  it('marks a payment that settles after the order was cancelled for refund, and rejects unknown orders', async () => {
    const order = await place();
    await change(ada, order, OrderStatus.CANCELLED);
    await fx.orders.recordPaymentSucceeded(paid(order));
    await fx.orders.recordPaymentSucceeded(paid(order)); // redelivered: nothing more
    expect(await fx.orders.findById(fx.as(ada), order.id)).toMatchObject({
      status: 'CANCELLED',
      paymentStatus: 'REFUNDED',
    });
    expect((await updates(order)).map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`)).toEqual([
      'PENDING→CANCELLED/PENDING',
      'CANCELLED→CANCELLED/REFUNDED',
    ]);
    // No retry makes a missing order exist: rejected (parked at once, counted), not failed.
    const unknown = { ...order, id: 'no-such-order' };
    await expect(fx.orders.recordPaymentSucceeded(paid(unknown))).rejects.toMatchObject({
      name: 'RejectedEventError',
      reason: 'unknown-order: no order no-such-order',
    });
    await expect(fx.orders.recordPaymentFailed(failed(unknown))).rejects.toBeInstanceOf(RejectedEventError);
  });

  it('lets exactly one of several concurrent cancellations win', async () => {
    const order = await place();
    const releasesBefore = fx.products.releaseCalls.filter((id) => id === order.id).length;
    const results = await Promise.allSettled([
      change(ada, order, OrderStatus.CANCELLED),
      change(admin, order, OrderStatus.CANCELLED),
      change(ada, order, OrderStatus.CANCELLED),
      change(admin, order, OrderStatus.CANCELLED),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const loser of results.filter((r) => r.status === 'rejected')) {
      expect(loser.reason.extensions).toMatchObject({ code: 'CONFLICT', currentStatus: 'CANCELLED' });
    }
    expect(await updates(order)).toHaveLength(1);
    expect(fx.products.releaseCalls.filter((id) => id === order.id).length - releasesBefore).toBe(1);
  });

  it('settles cancel racing payment one way: PAID with every cancel refused, or CANCELLED with the payment refunded', async () => {
    for (let round = 0; round < 6; round++) {
      const order = await place();
      const releasesBefore = fx.products.releaseCalls.filter((id) => id === order.id).length;
      const [payment, ...cancels] = await Promise.allSettled([
        fx.orders.recordPaymentSucceeded(paid(order)),
        change(ada, order, OrderStatus.CANCELLED),
        change(admin, order, OrderStatus.CANCELLED),
      ]);
      expect(payment?.status).toBe('fulfilled');
      const stored = await fx.orders.findById(fx.as(ada), order.id);
      const state = `${stored.status}/${stored.paymentStatus}`;
      const won = cancels.filter((r) => r.status === 'fulfilled').length;
      const releases = fx.products.releaseCalls.filter((id) => id === order.id).length - releasesBefore;
      const history = (await updates(order)).map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`);
      if (state === 'PAID/SUCCEEDED') {
        expect({ won, releases, history }).toEqual({ won: 0, releases: 0, history: ['PENDING→PAID/SUCCEEDED'] });
      } else {
        expect(state).toBe('CANCELLED/REFUNDED');
        expect({ won, releases, history }).toEqual({
          won: 1,
          releases: 1,
          history: ['PENDING→CANCELLED/PENDING', 'CANCELLED→CANCELLED/REFUNDED'],
        });
      }
      for (const loser of cancels.filter((r) => r.status === 'rejected')) {
        expect(loser.reason.extensions).toMatchObject({ code: 'CONFLICT', currentStatus: stored.status });
      }
    }
  });

  it('applies payment.succeeded only for the order total, its owner and its live payment', async () => {
    const order = await place();
    const event = (overrides: Partial<EventOf<typeof paymentSucceeded>['data']>) =>
      paymentSucceeded.create({ ...paid(order).data, ...overrides });
    const rejection = (promise: Promise<unknown>) =>
      promise.then(
        () => 'applied',
        (error: unknown) => (error instanceof RejectedEventError ? error.reason : String(error)),
      );
    expect(await rejection(fx.orders.recordPaymentSucceeded(event({ amount: '39.97' })))).toMatch(/^amount-mismatch/);
    expect(await rejection(fx.orders.recordPaymentSucceeded(event({ userId: bob.id })))).toMatch(/^user-mismatch/);
    expect(await fx.orders.findById(fx.as(ada), order.id)).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'PENDING',
    });
    expect(await updates(order)).toEqual([]);

    await fx.orders.recordPaymentSucceeded(event({ paymentId: 'p-live' }));
    await fx.orders.recordPaymentSucceeded(event({ paymentId: 'p-live' })); // a redelivery
    // Another payment of the same order is not the order's live payment: money taken twice, an alert.
    expect(await rejection(fx.orders.recordPaymentSucceeded(event({ paymentId: 'p-other' })))).toMatch(
      /^not-live-payment/,
    );
    expect(await fx.orders.findById(fx.as(ada), order.id)).toMatchObject({
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });
    expect((await updates(order)).map((update) => update.status)).toEqual(['PAID']);
  });
});

describe('payment.succeeded for an order whose stock was never confirmed', () => {
  /** An order whose create died between storing it and confirming its reservation. */
  async function cutShort() {
    const order = await place();
    fx.products.confirmed.delete(order.id);
    return order;
  }

  it('confirms the stock first, then the order is PAID', async () => {
    const order = await cutShort();
    await fx.orders.recordPaymentSucceeded(paid(order));
    expect(fx.products.confirmed.has(order.id)).toBe(true);
    expect(await OrderModel.findById(order.id).lean()).toMatchObject({ status: 'PAID', stockConfirmed: true });
  });

  it('never makes it PAID without stock: an expired reservation cancels it and the payment is refunded', async () => {
    const order = await cutShort();
    fx.products.expire(order.id);
    await fx.orders.recordPaymentSucceeded(paid(order));
    expect(await OrderModel.findById(order.id).lean()).toMatchObject({
      status: 'CANCELLED',
      paymentStatus: 'REFUNDED',
    });
    expect((await updates(order)).map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`)).toEqual([
      'PENDING→CANCELLED/PENDING',
      'CANCELLED→CANCELLED/REFUNDED',
    ]);
  });
});

describe('payment.succeeded for an order stored without stockConfirmed (by a replica of a release from before confirmations, mid-upgrade)', () => {
  it('treats it as unconfirmed: an expired reservation cancels it and the payment is refunded', async () => {
    const order = await place();
    fx.products.confirmed.delete(order.id);
    await OrderModel.collection.updateOne({ _id: order.id as never }, { $unset: { stockConfirmed: '' } });
    fx.products.expire(order.id);
    await fx.replica().recordPaymentSucceeded(paid(order));
    expect(await OrderModel.findById(order.id).lean()).toMatchObject({
      status: 'CANCELLED',
      paymentStatus: 'REFUNDED',
    });
  });
});

describe('a payment event decided from a state another replica has moved on from', () => {
  const history = async (order: Order) =>
    (await updates(order)).map((u) => `${u.previousStatus}→${u.status}/${u.paymentStatus}`);

  it('loses its claim and decides again from a read: the failure recorded elsewhere stays in the history', async () => {
    const order = await place(); // this process last wrote it PENDING/PENDING
    await fx.replica().recordPaymentFailed(failed(order));
    await fx.orders.recordPaymentSucceeded(paid(order));
    expect(await OrderModel.findById(order.id).lean()).toMatchObject({ status: 'PAID', paymentStatus: 'SUCCEEDED' });
    expect(await history(order)).toEqual(['PENDING→PENDING/FAILED', 'PENDING→PAID/SUCCEEDED']);
  });

  it('refunds a payment that settles after another replica cancelled the order, and records the event once', async () => {
    const order = await place();
    await fx.replica().updateStatus(fx.as(ada), order.id, OrderStatus.CANCELLED);
    const event = paid(order);
    await fx.orders.recordPaymentSucceeded(event);
    await fx.orders.recordPaymentSucceeded(event); // redelivered: nothing more
    expect(await OrderModel.findById(order.id).lean()).toMatchObject({
      status: 'CANCELLED',
      paymentStatus: 'REFUNDED',
      appliedEventIds: [event.id],
    });
    expect(await history(order)).toEqual(['PENDING→CANCELLED/PENDING', 'CANCELLED→CANCELLED/REFUNDED']);
  });
});
