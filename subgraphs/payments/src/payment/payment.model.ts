import { outboxPlugin, PendingEvent, pendingEventsProp, withDocumentLock } from '@shop/platform/mongo';
import { getModelForClass, index, modelOptions, plugin, prop } from '@typegoose/typegoose';
import type { Types } from 'mongoose';
import { PaymentStatus } from './payment.type.js';

/** The unique key is what claims an idempotency key: of two racing requests, one insert wins. */
@index({ userId: 1, idempotencyKey: 1 }, { unique: true })
@index({ orderId: 1, createdAt: -1 })
/** The reconcile sweep: PENDING payments, oldest first. */
@index({ status: 1, createdAt: 1 })
/** Reconciliation's retry of refunds owed and not made yet (a handful, whatever the history). */
@index({ refundDue: 1 })
@index({ lateChargeRefundDue: 1 })
/**
 * Reconciliation's checks for a charge that reached the provider after its payment failed: the
 * flag is an equality FerretDB pushes down (a range alone would read every payment), the date
 * is filtered among the few flagged.
 */
@index({ lateChargeWatch: 1, lateChargeCheckAt: 1 })
@plugin(outboxPlugin)
@modelOptions({ schemaOptions: { collection: 'payments', timestamps: true } })
export class PaymentRecord {
  @prop({ required: true, type: () => String })
  userId!: string;

  @prop({ required: true, type: () => String })
  orderId!: string;

  /** Integer cents, copied from the order; never taken from the client. */
  @prop({ required: true, type: () => Number, validate: Number.isSafeInteger })
  amountCents!: number;

  @prop({ required: true, type: () => String })
  paymentMethod!: string;

  @prop({ required: true, enum: PaymentStatus, type: () => String, default: PaymentStatus.PENDING })
  status!: PaymentStatus;

  @prop({ type: () => String })
  transactionId?: string;

  @prop({ type: () => String })
  failureReason?: string;

  @prop({ required: true, type: () => String })
  idempotencyKey!: string;

  /** Hash of what the key was first used for; the same key with another body is a conflict. */
  @prop({ required: true, type: () => String })
  requestFingerprint!: string;

  /**
   * The order id while the payment is PENDING or SUCCEEDED, a value of its own once it failed:
   * the unique index then allows one live payment per order, so two requests with different
   * keys cannot both charge before the order has become PAID. (Not a sparse index: FerretDB
   * does not report `sparse`, so mongoose would rebuild the index at every start.)
   */
  @prop({ required: true, unique: true, type: () => String })
  orderSlot!: string;

  /** A SUCCEEDED payment of a cancelled order: owed back until REFUNDED (see PaymentRefunds). */
  @prop({ type: () => Boolean })
  refundDue?: boolean;

  /**
   * A charge the provider took after the payment was given up as FAILED: its transaction, and
   * `lateChargeRefundDue` until the money is back (`lateChargeRefundedAt`). See PaymentRefunds.
   */
  @prop({ type: () => String })
  lateChargeTransactionId?: string;

  @prop({ type: () => Boolean })
  lateChargeRefundDue?: boolean;

  @prop({ type: () => Date })
  lateChargeRefundedAt?: Date;

  /**
   * An owed refund (`refundDue` or `lateChargeRefundDue`) whose retry failed: the failed retries,
   * and when reconciliation tries again (nextRetry). Cleared when the refund is made.
   */
  @prop({ type: () => Number })
  refundAttempts?: number;

  @prop({ type: () => Date })
  refundRetryAt?: Date;

  /**
   * A PENDING payment reconciliation could not settle (the provider's lookup failed): its failed
   * tries, and when it is asked about again (nextRetry). Cleared when it is settled.
   */
  @prop({ type: () => Number })
  reconcileAttempts?: number;

  @prop({ type: () => Date })
  reconcileRetryAt?: Date;

  /**
   * Failed as never received: watched (`lateChargeWatch`) until a late charge is found or the watch
   * ends; `lateChargeCheckAt` is when reconciliation next asks the provider whether it came after all.
   */
  @prop({ type: () => Boolean })
  lateChargeWatch?: boolean;

  @prop({ type: () => Date })
  lateChargeCheckAt?: Date;

  @prop(pendingEventsProp)
  pendingEvents!: PendingEvent[];

  createdAt!: Date;
  updatedAt!: Date;
}

export const PaymentModel = getModelForClass(PaymentRecord);

/**
 * Updates the payment while it matches `filter`, under its document lock, as every write of a
 * payment is (withDocumentLock: on FerretDB, one process's writes to a document queue).
 */
export function updatePayment(
  id: Types.ObjectId,
  filter: Record<string, unknown>,
  change: Record<string, Record<string, unknown>>,
): Promise<unknown> {
  return withDocumentLock(PaymentModel.collection.name, id, () =>
    PaymentModel.updateOne({ _id: id, ...filter }, change),
  );
}
