import { paymentSucceeded } from '@shop/events';
import { type Principal } from '@shop/platform/core';
import { metricsRegistry } from '@shop/platform/telemetry';
import {
  connectTestMongo,
  createTestTokens,
  eventually,
  metricValue,
  offlineOutbox,
  silentLogger,
  testContext,
} from '@shop/platform/testing';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOrders, type FixtureOrder, startFakeOrders } from '../order/fake-orders.server.js';
import { OrdersClient } from '../order/order.client.js';
import { reportPaymentGauges } from './payment.metrics.js';
import { PaymentModel } from './payment.model.js';
import { LATE_CHARGE_WATCH_MS, nextLateChargeCheck, nextRetry } from './payment.refunds.js';
import { PaymentService } from './payment.service.js';
import { NOT_RECEIVED, settlementEventId } from './payment.settlement.js';
import type { ChargeRequest, RefundRequest } from './payment-provider.js';
import { SimulatedPaymentProvider, SimulatorLedgerModel } from './simulated-payment.provider.js';

const GRACE_MS = 10_000;
const tokens = createTestTokens();
const orders = new Map<string, FixtureOrder>();
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const system = () => ({ requestId: 'reconcile-test', log: silentLogger });
let fakeOrders: FakeOrders;
let payments: PaymentService;
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('payments');
  fakeOrders = await startFakeOrders(tokens, orders);
  payments = new PaymentService(new OrdersClient(fakeOrders.url), new SimulatedPaymentProvider(), offlineOutbox, {
    reconcileGraceMs: GRACE_MS,
  });
});
afterAll(async () => {
  await fakeOrders.close();
  await db.drop();
});

function order(id: string): string {
  orders.set(id, { id, userId: ada.id, status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '42.00' });
  return id;
}

async function pay(orderId: string, paymentMethod: string, idempotencyKey: string) {
  const ctx = { ...testContext(ada, { payments }), authorization: `Bearer ${await tokens.sign(ada)}` };
  return payments.processPayment(ctx, { orderId, paymentMethod, idempotencyKey });
}

const later = (ms: number) => new Date(Date.now() + ms);

/** A payment of 42.00 by ada as a process left it behind, with no request running for it. */
const leftBehind = (orderId: string, idempotencyKey: string, fields: Record<string, unknown> = {}) =>
  PaymentModel.create({
    userId: ada.id,
    orderId,
    amountCents: 4_200,
    paymentMethod: 'card',
    idempotencyKey,
    requestFingerprint: 'f',
    orderSlot: orderId,
    ...fields,
  });

describe('a charge whose answer was lost (card_timeout)', () => {
  it('is answered PENDING, then settled SUCCEEDED from the provider ledger after the grace period, charged once', async () => {
    const orderId = order('order-timeout');
    const pending = await pay(orderId, 'card_timeout', 'k-timeout');
    expect(pending).toMatchObject({ status: 'PENDING', transactionId: null });

    // Within the grace period the charge may still be on its way: left alone.
    expect((await payments.reconcile(system())).settled.map((s) => s.paymentId)).not.toContain(pending.id);

    const reconciledBefore = metricValue(await metricsRegistry.metrics(), 'payments_reconciled_total', {
      outcome: 'SUCCEEDED',
    });
    // Two replicas' passes at once settle it with one and the same event.
    const passes = await Promise.all([
      payments.reconcile(system(), later(GRACE_MS)),
      payments.reconcile(system(), later(GRACE_MS)),
    ]);
    expect(passes.flatMap((pass) => pass.settled).filter((s) => s.paymentId === pending.id)[0]).toEqual({
      paymentId: pending.id,
      orderId,
      status: 'SUCCEEDED',
    });
    const stored = await PaymentModel.findById(pending.id).lean();
    const ledger = await SimulatorLedgerModel.findById(`charge:${pending.id}`).lean();
    expect(stored).toMatchObject({ status: 'SUCCEEDED', transactionId: ledger?.transactionId, orderSlot: orderId });
    const events = stored?.pendingEvents.map((event) => paymentSucceeded.schema.parse(event)) ?? [];
    expect(new Set(events.map((event) => event.id))).toEqual(new Set([settlementEventId(pending.id)]));
    expect(events[0]?.data).toMatchObject({ paymentId: pending.id, amount: '42.00' });
    expect((await SimulatorLedgerModel.findById(`charge:${pending.id}`).lean())?.calls).toBe(1);
    expect(await SimulatorLedgerModel.countDocuments({ kind: 'charge', reference: pending.id })).toBe(1);

    // Counted once, by the pass whose write settled it.
    const scrape = await metricsRegistry.metrics();
    expect(metricValue(scrape, 'payments_reconciled_total', { outcome: 'SUCCEEDED' })).toBe(reconciledBefore + 1);
  });

  it('is FAILED when the provider never got the charge (the process died before calling it), freeing the order', async () => {
    const orderId = order('order-lost-charge');
    // What a process that died between storing the PENDING payment and charging leaves behind.
    const created = await leftBehind(orderId, 'k-died');
    // It has been PENDING for a minute: the operator's gauge shows it.
    await PaymentModel.collection.updateOne(
      { _id: created._id },
      { $set: { createdAt: new Date(Date.now() - 60_000) } },
    );
    reportPaymentGauges(GRACE_MS);
    const stuck = () =>
      metricsRegistry.metrics().then((scrape) => metricValue(scrape, 'payments_pending_beyond_grace'));
    const stuckBefore = await stuck();
    expect(stuckBefore).toBeGreaterThanOrEqual(1);
    const { settled } = await payments.reconcile(system());
    expect(await stuck()).toBe(stuckBefore - 1);
    expect(settled).toContainEqual({ paymentId: String(created._id), orderId, status: 'FAILED' });
    expect(await PaymentModel.findById(created._id).lean()).toMatchObject({
      status: 'FAILED',
      failureReason: NOT_RECEIVED,
      orderSlot: `failed:${String(created._id)}`,
    });
    // The slot is free: the customer may pay again.
    expect((await pay(orderId, 'card', 'k-after-died')).status).toBe('SUCCEEDED');
  });

  it("does not count against the order's failures (PAYMENT_FAILURES_PER_ORDER): the provider's outage, not the card", async () => {
    const limited = new PaymentService(
      new OrdersClient(fakeOrders.url),
      new SimulatedPaymentProvider(),
      offlineOutbox,
      {
        reconcileGraceMs: GRACE_MS,
        failuresPerOrder: 2,
      },
    );
    const ctx = { ...testContext(ada, { payments: limited }), authorization: `Bearer ${await tokens.sign(ada)}` };
    const orderId = order('order-lost-and-declined');
    const decline = (idempotencyKey: string) =>
      limited.processPayment(ctx, { orderId, paymentMethod: 'card_declined', idempotencyKey });
    const lose = async (idempotencyKey: string) => {
      const lost = await leftBehind(orderId, idempotencyKey);
      await limited.reconcile(system(), later(GRACE_MS));
      return (await PaymentModel.findById(lost._id).lean())?.orderSlot;
    };
    const slotOf = async (id: string) => (await PaymentModel.findById(id).lean())?.orderSlot;

    // A charge never received, then a decline: one failure counted, the slot is free.
    expect(await lose('k-lost-1')).toMatch(/^failed:/);
    expect(await slotOf((await decline('k-declined-1')).id)).toMatch(/^failed:/);
    // Another never received, with one failure left: it frees the slot all the same.
    expect(await lose('k-lost-2')).toMatch(/^failed:/);
    // The second decline is the order's last allowed failure: it keeps the slot.
    expect(await slotOf((await decline('k-declined-2')).id)).toBe(orderId);
    await expect(
      limited.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-after-limit' }),
    ).rejects.toMatchObject({ extensions: { code: 'CONFLICT', reason: 'PAYMENT_FAILURES_LIMIT' } });
  });

  it('is resolved first when its order is cancelled, and refunded once if the money was taken', async () => {
    const orderId = order('order-timeout-cancelled');
    const pending = await pay(orderId, 'card_timeout', 'k-timeout-cancel');
    expect(await payments.refundCancelledOrder(system(), orderId)).toBe(1);
    expect(await payments.refundCancelledOrder(system(), orderId)).toBe(0);
    expect(await PaymentModel.findById(pending.id).lean()).toMatchObject({ status: 'REFUNDED' });
    expect(await SimulatorLedgerModel.countDocuments({ kind: 'refund', reference: pending.id })).toBe(1);
  });
});

describe('a charge the provider takes after its payment was given up as FAILED', () => {
  it('is refunded at once, and the payment stays FAILED (a provider slower than the grace period)', async () => {
    const orderId = order('order-late-charge');
    let recordCharge = () => {};
    const recorded = new Promise<void>((resolve) => {
      recordCharge = resolve;
    });
    // The charge reaches the provider's ledger only when the test says so: after reconciliation.
    const slow = new (class extends SimulatedPaymentProvider {
      override async charge(request: ChargeRequest) {
        await recorded;
        return super.charge(request);
      }
    })();
    const slowPayments = new PaymentService(new OrdersClient(fakeOrders.url), slow, offlineOutbox, {
      reconcileGraceMs: GRACE_MS,
    });
    const ctx = { ...testContext(ada, { payments: slowPayments }), authorization: `Bearer ${await tokens.sign(ada)}` };
    const answer = slowPayments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-late' });
    const stored = await eventually(() => PaymentModel.findOne({ orderId }).lean());
    const paymentId = String(stored._id);

    // Past the grace period the provider has no record of the charge: FAILED, the order's slot free.
    const { settled } = await slowPayments.reconcile(system(), later(GRACE_MS));
    expect(settled).toContainEqual({ paymentId, orderId, status: 'FAILED' });
    recordCharge();
    expect(await answer).toMatchObject({ id: paymentId, status: 'FAILED', failureReason: NOT_RECEIVED });

    const charge = await SimulatorLedgerModel.findById(`charge:${paymentId}`).lean();
    expect(charge).toMatchObject({ outcome: 'succeeded' });
    expect(await SimulatorLedgerModel.findById(`refund:${paymentId}`).lean()).toMatchObject({
      kind: 'refund',
      amountCents: 4_200,
      calls: 1,
    });
    const after = await PaymentModel.findById(paymentId).lean();
    expect(after).toMatchObject({
      status: 'FAILED',
      lateChargeTransactionId: charge?.transactionId,
      lateChargeRefundedAt: expect.any(Date),
    });
    expect(after?.lateChargeRefundDue).toBeUndefined();
  });

  it('is refunded by the next reconciliation pass while its refund is still owed, once', async () => {
    const orderId = order('order-late-charge-owed');
    // What a refund that failed at once leaves: the payment FAILED and owing, the charge taken.
    const created = await leftBehind(orderId, 'k-late-owed', {
      status: 'FAILED',
      failureReason: NOT_RECEIVED,
      orderSlot: 'failed:late-owed',
      lateChargeTransactionId: 'sim_late',
      lateChargeRefundDue: true,
    });
    const paymentId = String(created._id);
    await new SimulatedPaymentProvider().charge({ reference: paymentId, amountCents: 4_200, paymentMethod: 'card' });

    expect((await payments.reconcile(system())).owedRefunded).toBe(1);
    expect((await payments.reconcile(system())).owedRefunded).toBe(0);
    expect(await SimulatorLedgerModel.findById(`refund:${paymentId}`).lean()).toMatchObject({
      kind: 'refund',
      calls: 1,
    });
    expect(await PaymentModel.findById(paymentId).lean()).toMatchObject({
      status: 'FAILED',
      lateChargeRefundedAt: expect.any(Date),
    });
  });
});

describe('a payment failed as never received (its process died while charging)', () => {
  const MINUTE = 60_000;

  it('is asked about again, and a charge the provider records after the failure is refunded once', async () => {
    const orderId = order('order-died-late-charge');
    const created = await leftBehind(orderId, 'k-died-late');
    const paymentId = String(created._id);
    await PaymentModel.collection.updateOne(
      { _id: created._id },
      { $set: { createdAt: new Date(Date.now() - MINUTE) } },
    );
    expect((await payments.reconcile(system())).settled).toContainEqual({ paymentId, orderId, status: 'FAILED' });
    const failed = await PaymentModel.findById(paymentId).lean();
    expect(failed).toMatchObject({
      status: 'FAILED',
      failureReason: NOT_RECEIVED,
      lateChargeWatch: true,
      lateChargeCheckAt: expect.any(Date),
    });

    // Nothing arrived by the first check: the next one is later, and nothing is refunded.
    const firstCheck = failed?.lateChargeCheckAt as Date;
    expect((await payments.reconcile(system(), firstCheck)).lateChargesFound).toBe(0);
    const secondCheck = (await PaymentModel.findById(paymentId).lean())?.lateChargeCheckAt as Date;
    expect(secondCheck.getTime()).toBeGreaterThan(firstCheck.getTime());

    // The charge the dead process had sent reaches the provider's ledger after all.
    const charge = await new SimulatedPaymentProvider().charge({
      reference: paymentId,
      amountCents: 4_200,
      paymentMethod: 'card',
    });
    expect(charge.outcome).toBe('succeeded');
    expect((await payments.reconcile(system(), secondCheck)).lateChargesFound).toBe(1);
    expect((await payments.reconcile(system(), later(LATE_CHARGE_WATCH_MS))).lateChargesFound).toBe(0);
    expect(await SimulatorLedgerModel.findById(`refund:${paymentId}`).lean()).toMatchObject({
      kind: 'refund',
      amountCents: 4_200,
      calls: 1,
    });
    const after = await PaymentModel.findById(paymentId).lean();
    expect(after).toMatchObject({ status: 'FAILED', lateChargeRefundedAt: expect.any(Date) });
    expect(after).not.toHaveProperty('lateChargeWatch');
    expect(after).not.toHaveProperty('lateChargeCheckAt');
  });

  it('is asked about at doubling intervals for a day, then no more', async () => {
    const createdAt = new Date('2026-12-01T00:00:00Z');
    const checks: Date[] = [];
    let next = nextLateChargeCheck(createdAt, new Date(createdAt.getTime() + 10_000));
    while (next) {
      checks.push(next);
      next = nextLateChargeCheck(createdAt, next);
    }
    const ages = checks.map((check) => (check.getTime() - createdAt.getTime()) / 1_000);
    expect(ages.slice(0, 4)).toEqual([40, 80, 160, 320]);
    expect(ages.at(-1)).toBeLessThanOrEqual(LATE_CHARGE_WATCH_MS / 1_000);
    expect(checks.length).toBeLessThan(15);

    // A payment whose last check finds nothing is no longer watched.
    const orderId = order('order-died-watch-ends');
    const old = new Date(Date.now() - LATE_CHARGE_WATCH_MS + MINUTE);
    const created = await leftBehind(orderId, 'k-died-watch-ends', {
      status: 'FAILED',
      failureReason: NOT_RECEIVED,
      orderSlot: 'failed:watch-ends',
      lateChargeWatch: true,
      lateChargeCheckAt: new Date(),
    });
    await PaymentModel.collection.updateOne({ _id: created._id }, { $set: { createdAt: old } });
    expect((await payments.reconcile(system())).lateChargesFound).toBe(0);
    expect(await PaymentModel.findById(created._id).lean()).not.toHaveProperty('lateChargeWatch');
  });
  it('is asked about at its next check when the lookup fails, not again at every pass', async () => {
    const failingLookups = new (class extends SimulatedPaymentProvider {
      override async lookup(): Promise<never> {
        throw new Error('provider lookup failed');
      }
    })();
    const flakyPayments = new PaymentService(new OrdersClient(fakeOrders.url), failingLookups, offlineOutbox, {
      reconcileGraceMs: GRACE_MS,
    });
    const createdAt = new Date(Date.now() - 10 * MINUTE);
    const created = await leftBehind(order('order-died-lookup-fails'), 'k-died-lookup-fails', {
      status: 'FAILED',
      failureReason: NOT_RECEIVED,
      orderSlot: 'failed:lookup-fails',
      lateChargeWatch: true,
      lateChargeCheckAt: new Date(0),
    });
    await PaymentModel.collection.updateOne({ _id: created._id }, { $set: { createdAt } });
    const now = new Date();
    expect((await flakyPayments.reconcile(system(), now)).lateChargesFound).toBe(0);
    expect(await PaymentModel.findById(created._id).lean()).toMatchObject({
      lateChargeWatch: true,
      lateChargeCheckAt: nextLateChargeCheck(createdAt, now),
    });
  });
});

describe("a cancelled order's refund that fails (a provider outage longer than the event's retries)", () => {
  it('stays owed and is made by reconciliation once the provider is back, once, without a replay', async () => {
    const orderId = order('order-refund-outage');
    let refundsDown = true;
    let refundCalls = 0;
    const flaky = new (class extends SimulatedPaymentProvider {
      override async refund(request: RefundRequest) {
        refundCalls++;
        if (refundsDown) throw new Error('provider unavailable');
        return super.refund(request);
      }
    })();
    const flakyPayments = new PaymentService(new OrdersClient(fakeOrders.url), flaky, offlineOutbox, {
      reconcileGraceMs: GRACE_MS,
    });
    const ctx = { ...testContext(ada, { payments: flakyPayments }), authorization: `Bearer ${await tokens.sign(ada)}` };
    const paid = await flakyPayments.processPayment(ctx, {
      orderId,
      paymentMethod: 'card',
      idempotencyKey: 'k-outage',
    });
    expect(paid.status).toBe('SUCCEEDED');

    // The order.updated (CANCELLED) delivery fails: the event is retried, and the refund is owed.
    await expect(flakyPayments.refundCancelledOrder(system(), orderId)).rejects.toThrow('provider unavailable');
    expect(await PaymentModel.findById(paid.id).lean()).toMatchObject({ status: 'SUCCEEDED', refundDue: true });
    reportPaymentGauges(GRACE_MS);
    const owed = () =>
      metricsRegistry
        .metrics()
        .then((scrape) => metricValue(scrape, 'payments_refunds_owed', { kind: 'cancelled-order' }));
    const owedBefore = await owed();
    expect(owedBefore).toBeGreaterThanOrEqual(1);

    // A retry while the provider is still down fails, and the next waits (nextRetry).
    const now = new Date();
    expect((await flakyPayments.reconcile(system(), now)).owedRefunded).toBe(0);
    expect(await PaymentModel.findById(paid.id).lean()).toMatchObject({
      refundDue: true,
      refundAttempts: 1,
      refundRetryAt: new Date(now.getTime() + 5_000),
    });
    refundsDown = false;
    const calls = refundCalls;
    expect((await flakyPayments.reconcile(system(), now)).owedRefunded).toBe(0);
    expect(refundCalls).toBe(calls);

    expect((await flakyPayments.reconcile(system(), later(5_000))).owedRefunded).toBe(1);
    expect((await flakyPayments.reconcile(system(), later(5_000))).owedRefunded).toBe(0);
    expect(await owed()).toBe(owedBefore - 1);
    const after = await PaymentModel.findById(paid.id).lean();
    expect(after).toMatchObject({ status: 'REFUNDED' });
    expect(after).not.toHaveProperty('refundDue');
    expect(after).not.toHaveProperty('refundAttempts');
    expect(after).not.toHaveProperty('refundRetryAt');
    expect(await SimulatorLedgerModel.findById(`refund:${paid.id}`).lean()).toMatchObject({ kind: 'refund', calls: 1 });
    // A late redelivery of the event refunds nothing more.
    expect(await flakyPayments.refundCancelledOrder(system(), orderId)).toBe(0);
  });

  it('is retried after 5 s, then at doubling waits up to 15 minutes, for as long as it takes', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const waits = [1, 2, 3, 4, 8, 9, 10, 50].map(
      (attempts) => (nextRetry(attempts, now).getTime() - now.getTime()) / 1_000,
    );
    expect(waits).toEqual([5, 10, 20, 40, 640, 900, 900, 900]);
  });
});

describe('a PENDING payment the provider cannot answer about (its lookup fails)', () => {
  it('is asked about again after a back-off, so a full batch of them does not hold newer payments back', async () => {
    const failing = new Set<string>();
    const flaky = new (class extends SimulatedPaymentProvider {
      override async lookup(reference: string) {
        if (failing.has(reference)) throw new Error('provider lookup failed');
        return super.lookup(reference);
      }
    })();
    const flakyPayments = new PaymentService(new OrdersClient(fakeOrders.url), flaky, offlineOutbox, {
      reconcileGraceMs: GRACE_MS,
    });
    // A whole pass's batch (100) of the oldest PENDING payments fails, and one newer payment waits.
    const record = (n: number, createdAt: Date) => ({
      _id: new Types.ObjectId(),
      userId: ada.id,
      orderId: `order-unanswered-${n}`,
      amountCents: 4_200,
      paymentMethod: 'card',
      status: 'PENDING',
      idempotencyKey: `k-unanswered-${n}`,
      requestFingerprint: 'f',
      orderSlot: `order-unanswered-${n}`,
      pendingEvents: [],
      createdAt,
      updatedAt: createdAt,
    });
    const unanswered = Array.from({ length: 100 }, (_, n) => record(n, new Date(Date.UTC(2001, 0, 1, 0, n))));
    const newer = record(100, new Date(Date.UTC(2001, 0, 2)));
    await PaymentModel.collection.insertMany([...unanswered, newer]);
    for (const { _id } of unanswered) failing.add(String(_id));

    const now = new Date();
    const first = await flakyPayments.reconcile(system(), now);
    expect(first.failed).toBe(100);
    expect(await PaymentModel.findById(unanswered[0]?._id).lean()).toMatchObject({
      status: 'PENDING',
      reconcileAttempts: 1,
      reconcileRetryAt: new Date(now.getTime() + 5_000),
    });
    // The next pass, before their retry is due, reaches the newer payment.
    const second = await flakyPayments.reconcile(system(), now);
    expect(second.failed).toBe(0);
    expect(second.settled).toContainEqual({ paymentId: String(newer._id), orderId: newer.orderId, status: 'FAILED' });

    // Once the provider answers, the retry settles them, and clears what the failed tries left.
    failing.clear();
    const third = await flakyPayments.reconcile(system(), new Date(now.getTime() + 5_000));
    expect(third.settled.map((s) => s.paymentId)).toEqual(
      expect.arrayContaining(unanswered.map(({ _id }) => String(_id))),
    );
    const settled = await PaymentModel.findById(unanswered[0]?._id).lean();
    expect(settled).toMatchObject({ status: 'FAILED', failureReason: NOT_RECEIVED });
    expect(settled).not.toHaveProperty('reconcileAttempts');
    expect(settled).not.toHaveProperty('reconcileRetryAt');
  });
});
