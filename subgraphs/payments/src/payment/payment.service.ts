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
  requirePrincipal,
  validate,
  withDocumentLock,
} from '@shop/platform';
import { isValidObjectId, type Types } from 'mongoose';
import { z } from 'zod';
import type { OrdersClient } from '../order/order.client.js';
import { PaymentModel, type PaymentRecord } from './payment.model.js';
import { type Payment, PaymentStatus } from './payment.type.js';
import type { ChargeResult, PaymentProvider } from './payment-provider.js';

type Stored = PaymentRecord & { _id: Types.ObjectId };

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

  /**
   * Charges the caller's PENDING order once per idempotency key: the PENDING payment is
   * inserted first (claiming the key), then charged, then settled together with its event.
   */
  async processPayment(ctx: RequestContext, input: unknown): Promise<Payment> {
    const principal = requirePrincipal(ctx.principal);
    const data = validate(this.inputSchema, input);
    const request = { ...data, userId: principal.id, fingerprint: fingerprint(data.orderId, data.paymentMethod) };
    const earlier = await this.findByKey(request);
    if (earlier) return earlier;

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
      if (winner) return winner;
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
    return toPayment(settled);
  }

  /** A customer reads only their own payments; an admin any. */
  async findById(ctx: RequestContext, id: string): Promise<Payment> {
    const principal = requirePrincipal(ctx.principal);
    const record = isValidObjectId(id) ? await PaymentModel.findById(id).lean<Stored>() : null;
    if (!record) throw new NotFoundError('Payment', id);
    assertOwnerOrAdmin(principal, record.userId);
    return toPayment(record);
  }

  /** `Order.payment`: the latest payment of the order, a SUCCEEDED one first if there is one. */
  async findForOrder(ctx: RequestContext, orderId: string): Promise<Payment | null> {
    const principal = requirePrincipal(ctx.principal);
    const newest = { createdAt: -1, _id: -1 } as const;
    const record =
      (await PaymentModel.findOne({ orderId, status: PaymentStatus.SUCCEEDED }).sort(newest).lean<Stored>()) ??
      (await PaymentModel.findOne({ orderId }).sort(newest).lean<Stored>());
    if (!record) return null;
    assertOwnerOrAdmin(principal, record.userId);
    return toPayment(record);
  }

  /** The first payment made with this key, if the request is the same; CONFLICT if it is not. */
  private async findByKey(request: {
    userId: string;
    idempotencyKey: string;
    fingerprint: string;
  }): Promise<Payment | null> {
    const record = await PaymentModel.findOne({
      userId: request.userId,
      idempotencyKey: request.idempotencyKey,
    }).lean<Stored>();
    if (!record) return null;
    if (record.requestFingerprint !== request.fingerprint) {
      throw new ConflictError('Idempotency key already used for a different request', { field: 'idempotencyKey' });
    }
    return toPayment(record);
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
