import { paymentFailed, paymentSucceeded } from '@shop/events';
import { type Principal } from '@shop/platform/core';
import { type RequestContext } from '@shop/platform/subgraph';
import { codeOf, connectTestMongo, createTestTokens, offlineOutbox, testContext } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOrders, type FixtureOrder, startFakeOrders } from '../order/fake-orders.server.js';
import { OrdersClient } from '../order/order.client.js';
import type { PaymentsServices } from '../services.js';
import { PaymentModel } from './payment.model.js';
import { PaymentService } from './payment.service.js';
import { PaymentStatus } from './payment.type.js';
import type { ChargeRequest, RefundRequest } from './payment-provider.js';
import { SimulatedPaymentProvider } from './simulated-payment.provider.js';

const tokens = createTestTokens();

/** The real simulator, counting what it is asked to charge. */
class CountingProvider extends SimulatedPaymentProvider {
  readonly charges: ChargeRequest[] = [];
  readonly refunds: RefundRequest[] = [];
  override charge(request: ChargeRequest) {
    this.charges.push(request);
    return super.charge(request);
  }
  override refund(request: RefundRequest) {
    this.refunds.push(request);
    return super.refund(request);
  }
}

const orders = new Map<string, FixtureOrder>();
const provider = new CountingProvider();
let kicks = 0;
let fakeOrders: FakeOrders;
let payments: PaymentService;
let db: { drop: () => Promise<void> };

const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const bob: Principal = { id: 'user-bob', role: 'CUSTOMER' };
const admin: Principal = { id: 'user-admin', role: 'ADMIN' };

/** A request context carrying the principal's own bearer token, as a real request would. */
async function as(principal: Principal): Promise<RequestContext<PaymentsServices>> {
  return { ...testContext(principal, { payments }), authorization: `Bearer ${await tokens.sign(principal)}` };
}

function order(id: string, overrides: Partial<FixtureOrder> = {}): string {
  orders.set(id, {
    id,
    userId: ada.id,
    status: 'PENDING',
    paymentStatus: 'PENDING',
    totalAmount: '19.99',
    ...overrides,
  });
  return id;
}

beforeAll(async () => {
  db = await connectTestMongo('payments');
  fakeOrders = await startFakeOrders(tokens, orders);
  payments = new PaymentService(new OrdersClient(fakeOrders.url), provider, { ...offlineOutbox, kick: () => kicks++ });
});
afterAll(async () => {
  await fakeOrders.close();
  await db.drop();
});

describe('PaymentService.processPayment', () => {
  it('charges the order total, succeeds and records payment.succeeded in the same document', async () => {
    const orderId = order('order-success', { totalAmount: '1234.50' });
    const ctx = await as(ada);
    const kicksBefore = kicks;
    const payment = await payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-success' });

    expect(payment).toMatchObject({
      order: { id: orderId },
      amount: '1234.50',
      status: 'SUCCEEDED',
      failureReason: null,
    });
    expect(payment.transactionId).toMatch(/^sim_/);
    expect(fakeOrders.authorizations.at(-1)).toBe(ctx.authorization);
    expect(kicks).toBe(kicksBefore + 1);

    const stored = await PaymentModel.findById(payment.id).lean();
    expect(stored).toMatchObject({ userId: ada.id, amountCents: 123_450, orderSlot: orderId });
    expect(stored?.pendingEvents).toHaveLength(1);
    const event = paymentSucceeded.schema.parse(stored?.pendingEvents[0]);
    expect(event.data).toEqual({
      paymentId: payment.id,
      orderId,
      userId: ada.id,
      amount: '1234.50',
      transactionId: payment.transactionId,
    });
  });

  it('records a decline as FAILED with payment.failed, and lets the customer try again', async () => {
    const orderId = order('order-decline');
    const ctx = await as(ada);
    const declined = await payments.processPayment(ctx, {
      orderId,
      paymentMethod: 'card_declined',
      idempotencyKey: 'k-decline-1',
    });
    expect(declined).toMatchObject({ status: 'FAILED', failureReason: 'card_declined', transactionId: null });
    const stored = await PaymentModel.findById(declined.id).lean();
    expect(stored?.orderSlot).toBe(`failed:${declined.id}`);
    expect(paymentFailed.schema.parse(stored?.pendingEvents[0]).data).toMatchObject({
      paymentId: declined.id,
      amount: '19.99',
      failureReason: 'card_declined',
    });

    const retry = await payments.processPayment(ctx, {
      orderId,
      paymentMethod: 'paypal',
      idempotencyKey: 'k-decline-2',
    });
    expect(retry.status).toBe('SUCCEEDED');
    expect(retry.id).not.toBe(declined.id);
  });

  it('refuses a try after the last failure an order is allowed with CONFLICT (PAYMENT_FAILURES_LIMIT), charging nothing; replays still answer', async () => {
    const limited = new PaymentService(new OrdersClient(fakeOrders.url), provider, offlineOutbox, {
      failuresPerOrder: 2,
    });
    const orderId = order('order-declines');
    const ctx = { ...(await as(ada)), services: { payments: limited } };
    const decline = (idempotencyKey: string) =>
      limited.processPayment(ctx, { orderId, paymentMethod: 'card_declined', idempotencyKey });
    const first = await decline('k-declines-1');
    expect((await PaymentModel.findById(first.id).lean())?.orderSlot).toBe(`failed:${first.id}`);
    const second = await decline('k-declines-2');
    expect(second).toMatchObject({ status: 'FAILED', failureReason: 'card_declined' });
    // The second failure keeps the order's slot: no later payment can take it.
    expect((await PaymentModel.findById(second.id).lean())?.orderSlot).toBe(orderId);

    const chargesBefore = provider.charges.length;
    const third = limited.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-declines-3' });
    await expect(third).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', reason: 'PAYMENT_FAILURES_LIMIT', limit: 2 },
    });
    expect(provider.charges.length).toBe(chargesBefore);
    expect(await PaymentModel.countDocuments({ orderId })).toBe(2);
    // A replay of a key used before is answered with its payment, not refused.
    expect(
      await limited.attempt(ctx, { orderId, paymentMethod: 'card_declined', idempotencyKey: 'k-declines-2' }),
    ).toMatchObject({ replayed: true, payment: { id: second.id, status: 'FAILED' } });
    // Another order of the same customer is not affected.
    const other = await limited.processPayment(ctx, {
      orderId: order('order-declines-other'),
      paymentMethod: 'card',
      idempotencyKey: 'k-declines-other',
    });
    expect(other.status).toBe('SUCCEEDED');
  });

  it('returns the first payment for the same key and body, charging once, even after the order was paid', async () => {
    const orderId = order('order-replay');
    const ctx = await as(ada);
    const input = { orderId, paymentMethod: 'bank_transfer', idempotencyKey: 'k-replay' };
    const first = await payments.processPayment(ctx, input);
    order(orderId, { status: 'PAID', paymentStatus: 'SUCCEEDED' });
    const again = await payments.processPayment(ctx, input);

    expect(again).toEqual(first);
    expect(provider.charges.filter((charge) => charge.reference === first.id)).toHaveLength(1);
    expect(await PaymentModel.countDocuments({ orderId })).toBe(1);
  });

  it('charges once when the same key arrives twice at the same time', async () => {
    const orderId = order('order-race');
    const ctx = await as(ada);
    const input = { orderId, paymentMethod: 'card', idempotencyKey: 'k-race' };
    const [one, two] = await Promise.all([payments.processPayment(ctx, input), payments.processPayment(ctx, input)]);
    expect(one.id).toBe(two.id);
    expect(await PaymentModel.countDocuments({ orderId })).toBe(1);
    expect(provider.charges.filter((charge) => charge.reference === one.id)).toHaveLength(1);
  });

  it('answers 20 concurrent retries of one key with one payment and one charge, flagging all but the first as replays', async () => {
    const orderId = order('order-twenty');
    const ctx = await as(ada);
    const input = { orderId, paymentMethod: 'card', idempotencyKey: 'k-twenty' };
    // A provider slow enough that the retries arrive while the first charge is still running.
    const slow = new (class extends CountingProvider {
      override async charge(request: ChargeRequest) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return super.charge(request);
      }
    })();
    const slowPayments = new PaymentService(new OrdersClient(fakeOrders.url), slow, offlineOutbox);
    const attempts = await Promise.all(Array.from({ length: 20 }, () => slowPayments.attempt(ctx, input)));
    expect(new Set(attempts.map((a) => a.payment.id)).size).toBe(1);
    expect(attempts.filter((a) => !a.replayed)).toHaveLength(1);
    // Replays that arrived while the first was charging waited for its outcome.
    expect(attempts.every((a) => a.payment.status === 'SUCCEEDED')).toBe(true);
    expect(await PaymentModel.countDocuments({ orderId })).toBe(1);
    expect(slow.charges.map((charge) => charge.reference)).toEqual([attempts[0]?.payment.id]);
    expect((await slowPayments.attempt(ctx, input)).replayed).toBe(true);
  });

  it('refuses the same key with a different body with CONFLICT', async () => {
    const orderId = order('order-key-reuse');
    const ctx = await as(ada);
    await payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-reuse' });
    const error = await payments
      .processPayment(ctx, { orderId, paymentMethod: 'paypal', idempotencyKey: 'k-reuse' })
      .catch((e) => e);
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
  });

  it('refuses a second charge under a new key while the order is paid but not yet marked PAID', async () => {
    const orderId = order('order-double');
    const ctx = await as(ada);
    await payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-double-1' });
    expect(
      await codeOf(payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-double-2' })),
    ).toBe('CONFLICT');
    expect(await PaymentModel.countDocuments({ orderId })).toBe(1);
  });

  it("lets only the order's owner pay: another customer gets NOT_FOUND (cannot see it), an admin FORBIDDEN", async () => {
    const orderId = order('order-owned');
    const input = { orderId, paymentMethod: 'card', idempotencyKey: 'k-owned' };
    expect(await codeOf(payments.processPayment(await as(bob), input))).toBe('NOT_FOUND');
    expect(await codeOf(payments.processPayment(await as(admin), input))).toBe('FORBIDDEN');
    expect(await codeOf(payments.processPayment(testContext(null, { payments }), input))).toBe('UNAUTHENTICATED');
    expect(await PaymentModel.countDocuments({ orderId })).toBe(0);
  });

  it('refuses an order that is not PENDING or already paid with CONFLICT', async () => {
    const ctx = await as(ada);
    const shipped = order('order-shipped', { status: 'SHIPPED', paymentStatus: 'SUCCEEDED' });
    const cancelled = order('order-cancelled', { status: 'CANCELLED', paymentStatus: 'PENDING' });
    const paid = order('order-paid-pending', { status: 'PENDING', paymentStatus: 'SUCCEEDED' });
    for (const orderId of [shipped, cancelled, paid]) {
      expect(
        await codeOf(payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: orderId })),
      ).toBe('CONFLICT');
    }
    expect(await PaymentModel.countDocuments({ orderId: { $in: [shipped, cancelled, paid] } })).toBe(0);
  });

  it('refuses an order whose payment window closed with CONFLICT (PAYMENT_WINDOW_CLOSED), charging nothing; a replay still answers', async () => {
    const ctx = await as(ada);
    const orderId = order('order-window-closing');
    const started = await payments.processPayment(ctx, {
      orderId,
      paymentMethod: 'card_timeout',
      idempotencyKey: 'k-in-time',
    });
    expect(started.status).toBe('PENDING');
    // The window closes while that charge is still settling.
    orders.set(orderId, {
      ...(orders.get(orderId) as FixtureOrder),
      payableUntil: new Date(Date.now() - 1).toISOString(),
    });
    const chargesBefore = provider.charges.length;
    const late = payments.processPayment(ctx, { orderId, paymentMethod: 'card', idempotencyKey: 'k-too-late' });
    await expect(late).rejects.toMatchObject({ extensions: { code: 'CONFLICT', reason: 'PAYMENT_WINDOW_CLOSED' } });
    expect(provider.charges.length).toBe(chargesBefore);
    expect(await PaymentModel.countDocuments({ orderId })).toBe(1);
    const replay = await payments.processPayment(ctx, {
      orderId,
      paymentMethod: 'card_timeout',
      idempotencyKey: 'k-in-time',
    });
    expect(replay.id).toBe(started.id);
  });

  it('waits on a replay of a payment still PENDING with growing pauses: about ten reads in 5 s, not a hundred', async () => {
    const ctx = await as(ada);
    const input = { orderId: order('order-replay-pending'), paymentMethod: 'card_timeout', idempotencyKey: 'k-rp' };
    expect((await payments.processPayment(ctx, input)).status).toBe('PENDING');
    let reads = 0;
    const count = (event: mongoose.mongo.CommandStartedEvent) => {
      if (event.commandName === 'find' && event.command.find === PaymentModel.collection.name) reads++;
    };
    const client = mongoose.connection.getClient();
    client.on('commandStarted', count);
    try {
      // card_timeout settles only by reconciliation: the replay waits its whole 5 s and answers PENDING.
      expect((await payments.processPayment(ctx, input)).status).toBe('PENDING');
    } finally {
      client.off('commandStarted', count);
    }
    expect(reads).toBeGreaterThan(3);
    expect(reads).toBeLessThanOrEqual(12);
  });

  it('rejects an unknown payment method with BAD_USER_INPUT and an unknown order with NOT_FOUND', async () => {
    const ctx = await as(ada);
    const error = await payments
      .processPayment(ctx, { orderId: order('order-bad-input'), paymentMethod: 'bitcoin', idempotencyKey: '' })
      .catch((e) => e);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.fields.map((f: { field: string }) => f.field)).toEqual(['paymentMethod', 'idempotencyKey']);
    expect(
      await codeOf(payments.processPayment(ctx, { orderId: 'nope', paymentMethod: 'card', idempotencyKey: 'k-404' })),
    ).toBe('NOT_FOUND');
  });

  it('rejects a NUL character in the order id or the key with BAD_USER_INPUT, storing nothing (FerretDB cannot)', async () => {
    const ctx = await as(ada);
    const orderId = order('order-nul');
    const error = await payments
      .processPayment(ctx, { orderId: 'order\u0000nul', paymentMethod: 'card', idempotencyKey: 'k\u0000nul' })
      .catch((e) => e);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.fields.map((f: { field: string }) => f.field)).toEqual(['orderId', 'idempotencyKey']);
    expect(await PaymentModel.countDocuments({ orderId })).toBe(0);
  });
});

describe('PaymentService.refundCancelledOrder', () => {
  const system = () => ({ requestId: 'test', log: testContext(null, {}).log });

  it('refunds a payment that succeeded for an order that was cancelled, once', async () => {
    const orderId = order('order-refund');
    const paid = await payments.processPayment(await as(ada), {
      orderId,
      paymentMethod: 'card',
      idempotencyKey: 'k-refund',
    });
    // Both order.updated events of a raced cancellation, handled at once, then a redelivery.
    const counts = await Promise.all([
      payments.refundCancelledOrder(system(), orderId),
      payments.refundCancelledOrder(system(), orderId),
    ]);
    expect(counts.sort()).toEqual([0, 1]);
    expect(await payments.refundCancelledOrder(system(), orderId)).toBe(0);
    expect(provider.refunds.filter((r) => r.reference === paid.id)).toEqual([
      { reference: paid.id, transactionId: paid.transactionId, amountCents: 1999 },
    ]);
    expect((await payments.findById(await as(ada), paid.id)).status).toBe('REFUNDED');
  });

  it('leaves failed payments and other orders alone', async () => {
    const orderId = order('order-no-refund');
    await payments.processPayment(await as(ada), { orderId, paymentMethod: 'card_declined', idempotencyKey: 'k-nr' });
    const refundsBefore = provider.refunds.length;
    expect(await payments.refundCancelledOrder(system(), orderId)).toBe(0);
    expect(await payments.refundCancelledOrder(system(), 'order-never-paid')).toBe(0);
    expect(provider.refunds).toHaveLength(refundsBefore);
  });
});

describe('PaymentService reads', () => {
  it('shows a payment to its owner and an admin only', async () => {
    const orderId = order('order-read');
    const payment = await payments.processPayment(await as(ada), {
      orderId,
      paymentMethod: 'card',
      idempotencyKey: 'k-read',
    });
    expect((await payments.findById(await as(ada), payment.id)).id).toBe(payment.id);
    expect((await payments.findById(await as(admin), payment.id)).id).toBe(payment.id);
    expect(await codeOf(payments.findById(await as(bob), payment.id))).toBe('NOT_FOUND');
    expect(await codeOf(payments.findById(await as(admin), 'not-an-id'))).toBe('NOT_FOUND');
    // Another customer's order reads as one without a payment (null), so a payment's existence is not told either.
    expect(await payments.findForOrder(await as(bob), orderId)).toBeNull();
    expect(await payments.findForOrder(await as(bob), order('order-read-unpaid'))).toBeNull();
    expect((await payments.findForOrder(await as(admin), orderId))?.id).toBe(payment.id);
  });

  it("gives Order.payment as the order's SUCCEEDED payment even when a later one failed, else the latest", async () => {
    const orderId = order('order-latest');
    const ctx = await as(ada);
    expect(await payments.findForOrder(await as(ada), orderId)).toBeNull();
    const declined = await payments.processPayment(ctx, {
      orderId,
      paymentMethod: 'card_declined',
      idempotencyKey: 'k-latest-1',
    });
    expect((await payments.findForOrder(await as(ada), orderId))?.id).toBe(declined.id);
    const succeeded = await payments.processPayment(ctx, {
      orderId,
      paymentMethod: 'card',
      idempotencyKey: 'k-latest-2',
    });
    // A later failed attempt (written directly: the service itself refuses to charge a paid order).
    await PaymentModel.create({
      userId: ada.id,
      orderId,
      amountCents: 1999,
      paymentMethod: 'card_declined',
      status: PaymentStatus.FAILED,
      idempotencyKey: 'k-latest-3',
      requestFingerprint: 'x',
      orderSlot: 'failed:k-latest-3',
    });
    expect((await payments.findForOrder(await as(ada), orderId))?.id).toBe(succeeded.id);
    expect((await payments.findForOrder(await as(admin), orderId))?.id).toBe(succeeded.id);
  });
});
