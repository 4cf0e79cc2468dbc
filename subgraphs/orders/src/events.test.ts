import { randomUUID } from 'node:crypto';
import {
  DEFAULT_RETRY_POLICY,
  deleteConsumerTopology,
  type EventEnvelope,
  inspectDeadLetters,
  orderCreated,
  orderUpdated,
  paymentFailed,
  paymentSucceeded,
  userDeleted,
  withChannel,
} from '@shop/events';
import { OutboxRelay } from '@shop/platform/mongo';
import { metricsRegistry } from '@shop/platform/telemetry';
import {
  TEST_AMQP_URL as AMQP_URL,
  eventually,
  metricValue,
  observeEvents,
  publishSettled,
  silentLogger,
  testEventBus,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToAccounts, subscribeToPayments } from './events.js';
import { OrderModel } from './order/order.model.js';
import { ada, address, BOOK, type OrdersFixture, startOrdersFixture } from './order/order.test-fixture.js';

const bus = testEventBus('orders-test');
const relay = new OutboxRelay([OrderModel], bus, silentLogger, 100);
const PAYMENTS = 'orders-test.payments';
const ACCOUNTS = 'orders-test.accounts';
const published: EventEnvelope[] = [];
let fx: OrdersFixture;

const stored = (id: string) =>
  OrderModel.findById(id)
    .lean()
    .then((order) => order ?? undefined);
const drained = (id: string) => stored(id).then((order) => (order?.pendingEvents.length === 0 ? order : undefined));

beforeAll(async () => {
  fx = await startOrdersFixture(relay);
  await subscribeToPayments(bus, fx.orders, PAYMENTS);
  await subscribeToAccounts(bus, fx.orders, silentLogger, ACCOUNTS);
  await observeEvents(bus, 'orders-test.observer', [orderCreated, orderUpdated], published);
  // Queues are bound asynchronously: publish a marker until the observer sees one.
  const marker = orderUpdated.create({
    orderId: randomUUID(),
    userId: 'marker',
    previousStatus: 'PENDING',
    status: 'PAID',
    paymentStatus: 'SUCCEEDED',
  });
  // Published until it is heard: the observer queue may still be binding.
  await eventually(async () => {
    await bus.publish(marker);
    return published.find((event) => event.id === marker.id);
  });
  relay.start();
});
afterAll(async () => {
  await relay.stop();
  await bus.close();
  // The queues are durable: what this run parked would stay, and the next run's inspection of the
  // dead-letter queue (its first 50 messages) would in time no longer reach its own.
  await withChannel(AMQP_URL, async (channel) => {
    for (const queue of [PAYMENTS, ACCOUNTS]) {
      await deleteConsumerTopology(channel, queue, DEFAULT_RETRY_POLICY.maxAttempts - 1);
    }
  });
  await fx.close();
});

const place = () =>
  fx.orders.create(fx.as(ada), { items: [{ productId: BOOK, quantity: 1 }], shippingAddress: address });
/** What every payment event about `order` says of it. */
const paymentOf = (order: { id: string; totalAmount: string }) => ({
  orderId: order.id,
  userId: ada.id,
  amount: order.totalAmount,
});
const eventsOf = (orderId: string, type: string) =>
  published.filter((event) => event.type === type && (event.data as { orderId: string }).orderId === orderId);

describe('orders events over RabbitMQ', () => {
  it('publishes order.created from the outbox and then removes it from the order', async () => {
    const order = await place();
    await eventually(() => eventsOf(order.id, 'order.created')[0]);
    await eventually(() => drained(order.id));
  });

  it('marks an order PAID from payment.succeeded on its queue, once however often it arrives', async () => {
    const order = await place();
    const event = paymentSucceeded.create({ ...paymentOf(order), paymentId: 'p1', transactionId: 't1' });
    // Every copy that reaches the queue is counted, and each settling of one: the checks wait for all
    // of them, since a copy settled after them could still apply the payment again.
    let copies = 0;
    const outcomes: string[] = [];
    const stopCounting = bus.onSettled((delivery) => {
      if (delivery.queue === PAYMENTS && delivery.eventId === event.id) outcomes.push(delivery.outcome);
    });
    try {
      // Published until it takes effect (the consumer may still be binding), so duplicates arrive too.
      await eventually(async () => {
        if ((await bus.publish(event)).routed) copies++;
        return stored(order.id).then((o) => (o?.status === 'PAID' ? o : undefined));
      });
      // One more once it is PAID. publishSettled may answer for an earlier copy (they share the event
      // id), so the count decides when all are settled.
      expect(await publishSettled(bus, PAYMENTS, event)).toMatchObject({ outcome: 'handled' });
      copies++;
      await eventually(() => outcomes.length >= copies);
    } finally {
      stopCounting();
    }
    expect(outcomes).toEqual(Array.from({ length: copies }, () => 'handled'));
    expect((await stored(order.id))?.appliedEventIds).toEqual([event.id]);
    await eventually(() => drained(order.id));
    await eventually(() => eventsOf(order.id, 'order.updated')[0]);
    expect(eventsOf(order.id, 'order.updated').map((e) => e.data)).toEqual([
      { orderId: order.id, userId: ada.id, previousStatus: 'PENDING', status: 'PAID', paymentStatus: 'SUCCEEDED' },
    ]);
  });

  it('records payment.failed and keeps the order PENDING', async () => {
    const order = await place();
    const event = paymentFailed.create({ ...paymentOf(order), paymentId: 'p2', failureReason: 'card_declined' });
    const failed = await eventually(async () => {
      await bus.publish(event);
      return stored(order.id).then((o) => (o?.paymentStatus === 'FAILED' ? o : undefined));
    });
    expect(failed.status).toBe('PENDING');
  });

  it('records each applied payment event in its order and never applies a recorded one again', async () => {
    const order = await place();
    const event = paymentFailed.create({ ...paymentOf(order), paymentId: 'p3', failureReason: 'card_declined' });
    // Exactly one copy reaches the queue, so the replay below is the only other one.
    expect(await publishSettled(bus, PAYMENTS, event)).toMatchObject({ outcome: 'handled' });
    expect((await stored(order.id))?.paymentStatus).toBe('FAILED');
    expect((await OrderModel.findById(order.id).lean())?.appliedEventIds).toEqual([event.id]);

    await eventually(() => eventsOf(order.id, 'order.updated')[0]);
    // The relay's removal of the published event is a write of this document too: on FerretDB one of
    // two concurrent writes can undo the other, so the test's own write waits for it.
    await eventually(() => drained(order.id));

    // A new payment attempt is under way; the old failure arriving again must not fail it.
    await OrderModel.updateOne({ _id: order.id }, { $set: { paymentStatus: 'PENDING' } });
    // Once the consumer has settled the replay, whatever it was going to change is changed.
    expect(await publishSettled(bus, PAYMENTS, event)).toMatchObject({ outcome: 'handled' });
    expect(await stored(order.id)).toMatchObject({ paymentStatus: 'PENDING', pendingEvents: [] });
    expect(eventsOf(order.id, 'order.updated').map((e) => (e.data as { paymentStatus: string }).paymentStatus)).toEqual(
      ['FAILED'],
    );
  });

  it('parks a payment.succeeded whose amount is not the order total in the DLQ with a reason, and counts it', async () => {
    const order = await place();
    const before = metricValue(await metricsRegistry.metrics(), 'payment_events_rejected_total', {
      reason: 'amount-mismatch',
    });
    const forged = paymentSucceeded.create({
      ...paymentOf(order),
      amount: '0.01',
      paymentId: 'p-forged',
      transactionId: 't-forged',
    });
    expect(await publishSettled(bus, PAYMENTS, forged)).toMatchObject({ outcome: 'parked' });
    const parked = (await inspectDeadLetters(AMQP_URL, PAYMENTS)).find((message) => message.messageId === forged.id);
    expect(parked).toMatchObject({ reason: 'rejected', attempts: 1, error: expect.stringContaining('amount') });
    expect((await stored(order.id))?.status).toBe('PENDING');
    const after = metricValue(await metricsRegistry.metrics(), 'payment_events_rejected_total', {
      reason: 'amount-mismatch',
    });
    expect(after).toBe(before + 1);
  });

  it("cancels a deleted account's unpaid orders and releases their stock, once; its paid order stays", async () => {
    const leaving = { ...ada, id: `leaving-${randomUUID()}` };
    const placeAs = () =>
      fx.orders.create(fx.as(leaving), { items: [{ productId: BOOK, quantity: 1 }], shippingAddress: address });
    const [unpaid, failed, paid] = [await placeAs(), await placeAs(), await placeAs()];
    const paymentOfLeaving = (order: typeof paid) => ({ ...paymentOf(order), userId: leaving.id });
    const failure = { paymentId: 'p-f', failureReason: 'card_declined' };
    await publishSettled(bus, PAYMENTS, paymentFailed.create({ ...paymentOfLeaving(failed), ...failure }));
    const success = { paymentId: 'p-s', transactionId: 't-s' };
    await publishSettled(bus, PAYMENTS, paymentSucceeded.create({ ...paymentOfLeaving(paid), ...success }));
    const other = await place();

    const deleted = userDeleted.create({ userId: leaving.id });
    expect(await publishSettled(bus, ACCOUNTS, deleted)).toMatchObject({ outcome: 'handled' });
    for (const order of [unpaid, failed]) {
      expect(await stored(order.id)).toMatchObject({
        status: 'CANCELLED',
        stockReleased: true,
        appliedEventIds: expect.arrayContaining([deleted.id]),
      });
    }
    expect([unpaid, failed].map((order) => fx.products.reservations.has(order.id))).toEqual([false, false]);
    expect((await stored(paid.id))?.status).toBe('PAID');
    expect(fx.products.reservations.has(paid.id)).toBe(true);
    expect((await stored(other.id))?.status).toBe('PENDING');

    // Redelivered: nothing more to cancel, no second order.updated.
    expect(await publishSettled(bus, ACCOUNTS, deleted)).toMatchObject({ outcome: 'handled' });
    await eventually(() =>
      eventsOf(failed.id, 'order.updated').find((e) => (e.data as { status: string }).status === 'CANCELLED'),
    );
    await eventually(() => eventsOf(unpaid.id, 'order.updated')[0]);
    const settled = await eventually(() => drained(unpaid.id));
    expect(settled.appliedEventIds).toEqual([deleted.id]);
    // The relay published anything the redelivery wrote before the outbox was drained: a sentinel
    // sent on the same bus after it reaches the observer after any second order.updated.
    const sentinel = orderUpdated.create({
      orderId: randomUUID(),
      userId: 'sentinel',
      previousStatus: 'PENDING',
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });
    await publishSettled(bus, 'orders-test.observer', sentinel);
    expect(eventsOf(unpaid.id, 'order.updated').map((e) => e.data)).toEqual([
      {
        orderId: unpaid.id,
        userId: leaving.id,
        previousStatus: 'PENDING',
        status: 'CANCELLED',
        paymentStatus: 'PENDING',
      },
    ]);
  });
});
