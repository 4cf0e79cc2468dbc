import { createHash } from 'node:crypto';
import { paymentFailed, paymentSucceeded } from '@shop/events';
import {
  assertOwnerOrAdmin,
  ConflictError,
  ForbiddenError,
  formatCents,
  isDuplicateKeyError,
  NotFoundError,
  type OutboxRelay,
  type RequestContext,
  requestScoped,
  requirePrincipal,
  validate,
  withDocumentLock,
} from '@shop/platform';
import DataLoader from 'dataloader';
import { isValidObjectId, type Types } from 'mongoose';
import { z } from 'zod';
import type { OrdersClient } from '../order/order.client.js';
import { PaymentModel, type PaymentRecord } from './payment.model.js';
import { type Payment, PaymentStatus } from './payment.type.js';
import type { ChargeResult, PaymentProvider } from './payment-provider.js';

type Stored = PaymentRecord & { _id: Types.ObjectId };

/** Background work (events) has no caller, only a request id and a logger. */
export type SystemContext = Pick<RequestContext, 'requestId' | 'log'>;

/** What processPayment did: `replayed` when the key was used before and nothing was charged now. */
export interface PaymentAttempt {
  payment: Payment;
  replayed: boolean;
}

/** How long a replay waits for the first request's charge to settle before answering PENDING. */
const REPLAY_WAIT_MS = 5_000;
const REPLAY_POLL_MS = 50;

/** Settled money (kept or returned) outranks a later failed attempt as an order's payment. */
const SETTLED: ReadonlySet<PaymentStatus> = new Set([PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED]);

/** Per request: one query for all the `Payment` references, one for all the `Order.payment`s. */
const loaders = requestScoped((_ctx: object) => ({
  byId: new DataLoader<string, Stored | null>(async (ids) => {
    const valid = ids.filter((id) => isValidObjectId(id));
    const records = valid.length
      ? await PaymentModel.find({ _id: { $in: valid } })
          .select('-pendingEvents')
          .lean<Stored[]>()
      : [];
    const byId = new Map(records.map((record) => [String(record._id), record]));
    return ids.map((id) => byId.get(id) ?? null);
  }),
  byOrder: new DataLoader<string, Stored | null>(async (orderIds) => {
    const records = await PaymentModel.find({ orderId: { $in: [...orderIds] } })
      .select('-pendingEvents')
      .sort({ createdAt: -1, _id: -1 })
      .lean<Stored[]>();
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

  constructor(
    private readonly orders: OrdersClient,
    private readonly provider: PaymentProvider,
    private readonly outbox: Pick<OutboxRelay, 'kick'>,
  ) {
    this.inputSchema = z.object({
      orderId: z.string().trim().min(1).max(64),
      paymentMethod: z.enum(provider.paymentMethods),
      idempotencyKey: z.string().trim().min(1).max(255),
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
    const earlier = await this.findByKey(request);
    if (earlier) return { payment: await this.settled(earlier), replayed: true };

    const order = await this.orders.find(ctx, data.orderId);
    if (!order) throw new NotFoundError('Order', data.orderId);
    if (order.userId !== principal.id) throw new ForbiddenError("Only the order's owner can pay for it");
    if (order.status !== 'PENDING' || order.paymentStatus === 'SUCCEEDED') {
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
      // Either a concurrent request with the same key won, or the order already has a live payment.
      const winner = await this.findByKey(request);
      if (winner) return { payment: await this.settled(winner), replayed: true };
      throw new ConflictError(`Order ${order.id} already has a payment in progress or succeeded`);
    }

    // A throw here leaves the payment PENDING: the outcome is unknown, so it is not marked failed.
    const result = await this.provider.charge({
      reference: String(claimed._id),
      amountCents: claimed.amountCents,
      paymentMethod: claimed.paymentMethod,
    });
    const settled = await this.settle(claimed, result);
    this.outbox.kick();
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
   * Batched per request, so a page of orders costs one query.
   */
  async findForOrder(ctx: RequestContext, orderId: string): Promise<Payment | null> {
    const principal = requirePrincipal(ctx.principal);
    const record = await loaders(ctx).byOrder.load(orderId);
    if (!record) return null;
    assertOwnerOrAdmin(principal, record.userId, 'Order', orderId);
    return toPayment(record);
  }

  /**
   * A cancelled order keeps no money: its SUCCEEDED payments (one that raced the cancellation or
   * the expiry) are refunded, then marked REFUNDED. Refund first: a crash in between refunds again
   * on redelivery, which the provider deduplicates by reference; never REFUNDED without a refund.
   */
  async refundCancelledOrder(ctx: SystemContext, orderId: string): Promise<number> {
    const succeeded = await PaymentModel.find({ orderId, status: PaymentStatus.SUCCEEDED })
      .select('_id')
      .lean<Pick<Stored, '_id'>[]>();
    let refunded = 0;
    for (const { _id: id } of succeeded) {
      // Under the payment's lock, re-read: two events of one cancellation may be handled at once.
      const done = await withDocumentLock(PaymentModel.collection.name, id, async () => {
        const record = await PaymentModel.findOne({ _id: id, status: PaymentStatus.SUCCEEDED }).lean<Stored>();
        if (!record) return false;
        await this.provider.refund({
          reference: String(record._id),
          transactionId: record.transactionId ?? '',
          amountCents: record.amountCents,
        });
        await PaymentModel.updateOne(
          { _id: id, status: PaymentStatus.SUCCEEDED },
          { $set: { status: PaymentStatus.REFUNDED } },
        );
        return true;
      });
      if (done) {
        refunded++;
        ctx.log.info({ orderId, paymentId: String(id) }, 'payment of a cancelled order refunded');
      }
    }
    return refunded;
  }

  /** A replay that arrives while the first request is still charging waits (bounded) for its outcome. */
  private async settled(record: Stored): Promise<Payment> {
    let current = record;
    const deadline = Date.now() + REPLAY_WAIT_MS;
    while (current.status === PaymentStatus.PENDING && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
      current = (await PaymentModel.findById(current._id).lean<Stored>()) ?? current;
    }
    return toPayment(current);
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

  /** One conditional write sets the outcome and queues its event, so neither exists without the other. */
  private async settle(claimed: Stored, result: ChargeResult): Promise<Stored> {
    const common = {
      paymentId: String(claimed._id),
      orderId: claimed.orderId,
      userId: claimed.userId,
      amount: formatCents(claimed.amountCents),
    };
    const update =
      result.outcome === 'succeeded'
        ? {
            $set: { status: PaymentStatus.SUCCEEDED, transactionId: result.transactionId },
            $push: { pendingEvents: paymentSucceeded.create({ ...common, transactionId: result.transactionId }) },
          }
        : {
            // A failed payment frees the order's slot: the customer may try again.
            $set: {
              status: PaymentStatus.FAILED,
              failureReason: result.failureReason,
              orderSlot: `failed:${common.paymentId}`,
            },
            $push: { pendingEvents: paymentFailed.create({ ...common, failureReason: result.failureReason }) },
          };
    const settled = await withDocumentLock(PaymentModel.collection.name, claimed._id, () =>
      PaymentModel.findOneAndUpdate({ _id: claimed._id, status: PaymentStatus.PENDING }, update, {
        returnDocument: 'after',
      }).lean<Stored>(),
    );
    if (!settled) throw new Error(`payment ${String(claimed._id)} was settled by someone else`);
    return settled;
  }
}
