import { createHash } from 'node:crypto';
import {
  assertOwnerOrAdmin,
  ConflictError,
  ForbiddenError,
  formatCents,
  isOwnerOrAdmin,
  NotFoundError,
  requestScoped,
  requirePrincipal,
  type SystemContext,
  storedText,
  validate,
} from '@shop/platform/core';
import type { OutboxWakeUp } from '@shop/platform/mongo';
import { findAnyOf, isDuplicateKeyError, loadByIds } from '@shop/platform/mongo';
import { type RequestContext } from '@shop/platform/subgraph';
import DataLoader from 'dataloader';
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import type { OrdersClient } from '../order/order.client.js';
import { PaymentModel } from './payment.model.js';
import { PaymentRefunds, type StoredPayment } from './payment.refunds.js';
import { PaymentSettlement } from './payment.settlement.js';
import { type Payment, PaymentStatus } from './payment.type.js';
import type { ChargeResult, PaymentProvider } from './payment-provider.js';

type Stored = StoredPayment;

/** What processPayment did: `replayed` when the key was used before and nothing was charged now. */
export interface PaymentAttempt {
  payment: Payment;
  replayed: boolean;
}

/**
 * How long a replay waits for the first request's charge to settle before answering PENDING, and
 * its pauses between reads: from 50 ms, doubling to 1 s (about 10 reads in all, not 100).
 */
const REPLAY_WAIT_MS = 5_000;
const REPLAY_POLL_MS = { first: 50, max: 1_000 };

/** Default grace before a PENDING payment is reconciled (see config.ts, PAYMENT_RECONCILE_GRACE). */
export const DEFAULT_RECONCILE_GRACE_MS = 10_000;

/** Default failed payments one order may have (see config.ts, PAYMENT_FAILURES_PER_ORDER). */
export const DEFAULT_FAILURES_PER_ORDER = 5;

/** The limits main.ts reads from configuration; tests take the defaults or shorten them. */
export interface PaymentLimits {
  /** PAYMENT_RECONCILE_GRACE, in milliseconds. */
  reconcileGraceMs?: number;
  /** PAYMENT_FAILURES_PER_ORDER. */
  failuresPerOrder?: number;
}

const RECONCILE_BATCH = 100;

/** What one reconciliation pass settled. */
export interface ReconcileResult {
  settled: { paymentId: string; orderId: string; status: PaymentStatus }[];
  /** Payments past the grace period that could not be settled in this pass (logged, retried later). */
  failed: number;
  /** Charges found at the provider after their payment failed as never received (then refunded). */
  lateChargesFound: number;
  /** Refunds owed whose first try had failed, made in this pass (PaymentRefunds.retryOwed). */
  owedRefunded: number;
}

/** Settled money (kept or returned) outranks a later failed attempt as an order's payment. */
const SETTLED: ReadonlySet<PaymentStatus> = new Set([PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED]);

/** Per request: one query for all the `Payment` references, one for all the `Order.payment`s. */
const loaders = requestScoped((_ctx: object) => ({
  byId: new DataLoader<string, Stored | null>(
    loadByIds((_id) => PaymentModel.find({ _id }).select('-pendingEvents').lean<Stored[]>(), isValidObjectId),
  ),
  byOrder: new DataLoader<string, Stored | null>(async (orderIds) => {
    const records = await findAnyOf(orderIds, (orderId) =>
      PaymentModel.find({ orderId }).select('-pendingEvents').sort({ createdAt: -1, _id: -1 }).lean<Stored[]>(),
    );
    const chosen = new Map<string, Stored>();
    for (const record of records) {
      const current = chosen.get(record.orderId);
      if (!current || (!SETTLED.has(current.status) && SETTLED.has(record.status))) chosen.set(record.orderId, record);
    }
    return orderIds.map((id) => chosen.get(id) ?? null);
  }),
}));

function toPayment(record: Stored): Payment {
  return {
    id: String(record._id),
    order: { id: record.orderId },
    amount: formatCents(record.amountCents),
    paymentMethod: record.paymentMethod,
    status: record.status,
    transactionId: record.transactionId ?? null,
    failureReason: record.failureReason ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

const fingerprint = (orderId: string, paymentMethod: string) =>
  createHash('sha256')
    .update(JSON.stringify([orderId, paymentMethod]))
    .digest('hex');

export class PaymentService {
  private readonly inputSchema;
  private readonly settlement: PaymentSettlement;
  private readonly refunds: PaymentRefunds;
  private readonly graceMs: number;
  private readonly failuresPerOrder: number;

  constructor(
    private readonly orders: OrdersClient,
    private readonly provider: PaymentProvider,
    outbox: OutboxWakeUp,
    limits: PaymentLimits = {},
  ) {
    this.graceMs = limits.reconcileGraceMs ?? DEFAULT_RECONCILE_GRACE_MS;
    this.failuresPerOrder = limits.failuresPerOrder ?? DEFAULT_FAILURES_PER_ORDER;
    this.refunds = new PaymentRefunds(provider);
    this.settlement = new PaymentSettlement(provider, outbox, this.refunds, this.graceMs, this.failuresPerOrder);
    this.inputSchema = z.object({
      orderId: storedText().min(1).max(64),
      paymentMethod: z.enum(provider.paymentMethods),
      idempotencyKey: storedText().min(1).max(255),
    });
  }

  /** processPayment: the payment only (see `attempt`). */
  async processPayment(ctx: RequestContext, input: unknown): Promise<Payment> {
    return (await this.attempt(ctx, input)).payment;
  }

  /**
   * Charges the caller's PENDING order once per idempotency key: the PENDING payment is
   * inserted first (claiming the key), then charged, then settled together with its event.
   * A repeat of the key with the same request is a replay: the stored payment, nothing charged.
   */
  async attempt(ctx: RequestContext, input: unknown): Promise<PaymentAttempt> {
    const principal = requirePrincipal(ctx.principal);
    const data = validate(this.inputSchema, input);
    const request = { ...data, userId: principal.id, fingerprint: fingerprint(data.orderId, data.paymentMethod) };
    // The key is looked up only when the insert below (or the order's state) says it may have been
    // used: a first request costs no read of its own.
    const order = await this.orders.find(ctx, data.orderId);
    if (!order) throw new NotFoundError('Order', data.orderId);
    if (order.userId !== principal.id) throw new ForbiddenError("Only the order's owner can pay for it");
    const windowClosed = order.payableUntil.getTime() <= Date.now();
    if (order.status !== 'PENDING' || order.paymentStatus === 'SUCCEEDED' || windowClosed) {
      // A replay of the request that paid it (or started paying it in time) is answered with its payment.
      const earlier = await this.findByKey(request);
      if (earlier) return { payment: await this.settled(earlier), replayed: true };
      if (order.status === 'PENDING' && order.paymentStatus !== 'SUCCEEDED') {
        // A charge now might settle after the order's cancellation and be refunded at once.
        throw new ConflictError(
          `Order ${order.id} can no longer be paid: its payment window closed at ${order.payableUntil.toISOString()}`,
          { reason: 'PAYMENT_WINDOW_CLOSED' },
        );
      }
      throw new ConflictError(
        `Order ${order.id} cannot be paid: it is ${order.status}, payment ${order.paymentStatus}`,
      );
    }

    let claimed: Stored;
    try {
      const created = await PaymentModel.create({
        userId: principal.id,
        orderId: order.id,
        amountCents: order.totalCents,
        paymentMethod: data.paymentMethod,
        idempotencyKey: data.idempotencyKey,
        requestFingerprint: request.fingerprint,
        orderSlot: order.id,
      });
      claimed = created.toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Either a concurrent request with the same key won, or the order's slot is taken.
      const winner = await this.findByKey(request);
      if (winner) return { payment: await this.settled(winner), replayed: true };
      throw await this.slotTaken(order.id);
    }

    // The payment's own id is the provider's idempotency reference for this charge.
    let result: ChargeResult;
    try {
      result = await this.provider.charge({
        reference: String(claimed._id),
        amountCents: claimed.amountCents,
        paymentMethod: claimed.paymentMethod,
      });
    } catch (error) {
      // The outcome is unknown (a timeout after the provider took the charge, say): the payment
      // stays PENDING, is answered as such, and reconciliation settles it from the provider's record.
      ctx.log.warn({ err: error, paymentId: String(claimed._id) }, 'charge outcome unknown; left to reconciliation');
      return { payment: toPayment(claimed), replayed: false };
    }
    const { record: settled } = await this.settlement.settle(ctx, claimed, result);
    return { payment: toPayment(settled), replayed: false };
  }

  /** A customer reads only their own payments; an admin any. Batched per request. */
  async findById(ctx: RequestContext, id: string): Promise<Payment> {
    const principal = requirePrincipal(ctx.principal);
    const record = await loaders(ctx).byId.load(id);
    if (!record) throw new NotFoundError('Payment', id);
    assertOwnerOrAdmin(principal, record.userId, 'Payment', id);
    return toPayment(record);
  }

  /**
   * `Order.payment`: the order's SUCCEEDED (or REFUNDED) payment if there is one, else its latest.
   * Batched per request, so a page of orders costs one query. Another customer's order answers as
   * one without a payment (null): a refusal would tell that it has one (this port takes any order id).
   */
  async findForOrder(ctx: RequestContext, orderId: string): Promise<Payment | null> {
    const principal = requirePrincipal(ctx.principal);
    const record = await loaders(ctx).byOrder.load(orderId);
    if (!record || !isOwnerOrAdmin(principal, record.userId)) return null;
    return toPayment(record);
  }

  /**
   * Reconciliation: every payment PENDING for longer than the grace period is settled from the
   * provider's record (SUCCEEDED or FAILED, with its event). Safe on every replica at once: each
   * settlement is a conditional write of the provider's one answer with one event id. It also asks
   * again about payments failed as never received, refunds any charge the provider took late, and
   * retries the refunds owed whose first try failed.
   */
  async reconcile(ctx: SystemContext, now = new Date()): Promise<ReconcileResult> {
    // A payment whose settlement failed waits for its retry (Settlement.postpone), filtered among
    // the PENDING ones the index finds.
    const due = await PaymentModel.find({
      status: PaymentStatus.PENDING,
      createdAt: { $lte: new Date(now.getTime() - this.graceMs) },
      reconcileRetryAt: { $not: { $gt: now } },
    })
      .select('-pendingEvents')
      .sort({ createdAt: 1 })
      .limit(RECONCILE_BATCH)
      .lean<Stored[]>();
    const result: ReconcileResult = { settled: [], failed: 0, lateChargesFound: 0, owedRefunded: 0 };
    for (const record of due) {
      try {
        const settled = await this.settlement.fromProvider(ctx, record, now);
        if (settled)
          result.settled.push({ paymentId: String(settled._id), orderId: settled.orderId, status: settled.status });
      } catch (error) {
        result.failed++;
        await this.settlement.postpone(ctx, record, now, error);
      }
    }
    if (result.settled.length > 0) ctx.log.info({ settled: result.settled }, 'pending payments reconciled');
    result.lateChargesFound = await this.refunds.watchLateCharges(ctx, now);
    result.owedRefunded = await this.refunds.retryOwed(ctx, now);
    return result;
  }

  /**
   * A cancelled order keeps no money. Its PENDING payments are resolved first (a charge whose
   * answer was lost may have taken the money); then each SUCCEEDED payment is refunded exactly
   * once: the refund is claimed (`refund:<paymentId>`, a unique insert that holds across replicas)
   * before the provider is called with the payment id as its idempotency reference, and marked
   * REFUNDED after. A delivery that finds the refund claimed by a live replica throws and is retried.
   */
  async refundCancelledOrder(ctx: SystemContext, orderId: string): Promise<number> {
    const pending = await PaymentModel.find({ orderId, status: PaymentStatus.PENDING })
      .select('-pendingEvents')
      .lean<Stored[]>();
    for (const record of pending) {
      if (!(await this.settlement.fromProvider(ctx, record, new Date()))) {
        throw new Error(`payment ${String(record._id)} of cancelled order ${orderId} is still being charged`);
      }
    }
    const succeeded = await PaymentModel.find({ orderId, status: PaymentStatus.SUCCEEDED })
      .select('-pendingEvents')
      .lean<Stored[]>();
    let refunded = 0;
    for (const record of succeeded) {
      if (await this.refunds.refundSucceeded(record)) {
        refunded++;
        ctx.log.info({ orderId, paymentId: String(record._id) }, 'payment of a cancelled order refunded');
      }
    }
    return refunded;
  }

  /** A replay that arrives while the first request is still charging waits (bounded) for its outcome. */
  private async settled(record: Stored): Promise<Payment> {
    let current = record;
    const deadline = Date.now() + REPLAY_WAIT_MS;
    let pause = REPLAY_POLL_MS.first;
    while (current.status === PaymentStatus.PENDING && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
      pause = Math.min(pause * 2, REPLAY_POLL_MS.max);
      current = (await PaymentModel.findById(current._id).lean<Stored>()) ?? current;
    }
    return toPayment(current);
  }

  /**
   * Why an order's slot refused a new payment: a live one holds it, or the last failure the order
   * was allowed (PaymentSettlement keeps the slot for it).
   */
  private async slotTaken(orderId: string): Promise<ConflictError> {
    const holder = await PaymentModel.findOne({ orderSlot: orderId }).select('status').lean<Pick<Stored, 'status'>>();
    if (holder?.status === PaymentStatus.FAILED) {
      return new ConflictError(
        `Order ${orderId} cannot be paid: its payment failed ${this.failuresPerOrder} times, as many as one order allows; cancel it and place a new one`,
        { reason: 'PAYMENT_FAILURES_LIMIT', limit: this.failuresPerOrder },
      );
    }
    return new ConflictError(`Order ${orderId} already has a payment in progress or succeeded`);
  }

  /** The first payment made with this key, if the request is the same; CONFLICT if it is not. */
  private async findByKey(request: {
    userId: string;
    idempotencyKey: string;
    fingerprint: string;
  }): Promise<Stored | null> {
    const record = await PaymentModel.findOne({
      userId: request.userId,
      idempotencyKey: request.idempotencyKey,
    }).lean<Stored>();
    if (!record) return null;
    if (record.requestFingerprint !== request.fingerprint) {
      throw new ConflictError('Idempotency key already used for a different request', { field: 'idempotencyKey' });
    }
    return record;
  }
}
