import { namedEventId, paymentFailed, paymentSucceeded } from '@shop/events';
import { formatCents, type SystemContext } from '@shop/platform/core';
import type { OutboxWakeUp } from '@shop/platform/mongo';
import { withDocumentLock } from '@shop/platform/mongo';
import { paymentsReconciled } from './payment.metrics.js';
import { PaymentModel, updatePayment } from './payment.model.js';
import { nextLateChargeCheck, nextRetry, type PaymentRefunds, type StoredPayment } from './payment.refunds.js';
import { PaymentStatus } from './payment.type.js';
import type { ChargeResult, PaymentProvider } from './payment-provider.js';

/** What the provider had never heard of after the grace period: the charge never reached it. */
export const NOT_RECEIVED = 'not_received_by_provider';

/**
 * One event id per payment's outcome, so every writer of one settlement (the request itself,
 * reconciliation in any replica, a cancellation resolving it) writes the same event, which
 * consumers deduplicate by id. A UUID of version 8 (RFC 9562, name-based with SHA-256).
 */
export function settlementEventId(paymentId: string): string {
  return namedEventId(`payment-settled:${paymentId}`);
}

/** What a settlement clears of reconciliation's failed tries. */
const RECONCILE_RETRY = { reconcileAttempts: 1, reconcileRetryAt: 1 } as const;

/** A PENDING payment becomes SUCCEEDED or FAILED here, with its event, whoever settles it. */
export class PaymentSettlement {
  constructor(
    private readonly provider: PaymentProvider,
    private readonly outbox: OutboxWakeUp,
    private readonly refunds: PaymentRefunds,
    private readonly graceMs: number,
    private readonly failuresPerOrder: number,
  ) {}

  /**
   * Settles a PENDING payment from the provider's record. A reference the provider has never
   * heard of is FAILED once the grace period is over (the charge never reached it); before that it
   * may still be on its way, and null says so.
   */
  async fromProvider(ctx: Pick<SystemContext, 'log'>, record: StoredPayment, now: Date): Promise<StoredPayment | null> {
    const lookup = await this.provider.lookup(String(record._id));
    let result: ChargeResult;
    if (lookup.outcome !== 'unknown') result = lookup;
    else if (now.getTime() - record.createdAt.getTime() >= this.graceMs) {
      result = { outcome: 'failed', failureReason: NOT_RECEIVED };
    } else return null;
    const { record: settled, won } = await this.settle(ctx, record, result);
    // Counted by the pass that settled it: another replica's pass, or the request, may have won.
    if (won) {
      paymentsReconciled.inc({ outcome: settled.status });
      ctx.log.info(
        { paymentId: String(record._id), status: settled.status },
        'pending payment settled from the provider',
      );
    }
    return settled;
  }

  /**
   * Reconciliation could not settle this payment (the provider's lookup failed, say): it is asked
   * about again after a back-off (nextRetry), so a payment the provider keeps failing on does not
   * hold newer ones behind it in a pass's batch. Never given up: payments_pending_beyond_grace
   * shows it.
   */
  async postpone(ctx: Pick<SystemContext, 'log'>, record: StoredPayment, now: Date, error: unknown): Promise<void> {
    const paymentId = String(record._id);
    const attempts = (record.reconcileAttempts ?? 0) + 1;
    const retryAt = nextRetry(attempts, now);
    ctx.log.warn({ err: error, paymentId, attempts, retryAt }, 'payment not reconciled; retried later');
    await updatePayment(
      record._id,
      { status: PaymentStatus.PENDING },
      { $set: { reconcileAttempts: attempts, reconcileRetryAt: retryAt } },
    ).catch((failure: unknown) => ctx.log.warn({ err: failure, paymentId }, 'payment reconciliation not rescheduled'));
  }

  /**
   * One conditional write sets the outcome and queues its event, so neither exists without the
   * other; the event is published right after it. Several writers may settle one payment (the
   * request, reconciliation, a cancellation): all write the provider's one answer with one event
   * id, and a later one finds it settled. A charge that succeeded on a payment already FAILED is
   * refunded (PaymentRefunds.refundLateCharge).
   */
  async settle(
    ctx: Pick<SystemContext, 'log'>,
    claimed: StoredPayment,
    result: ChargeResult,
  ): Promise<{ record: StoredPayment; won: boolean }> {
    const common = {
      paymentId: String(claimed._id),
      orderId: claimed.orderId,
      userId: claimed.userId,
      amount: formatCents(claimed.amountCents),
    };
    const id = settlementEventId(common.paymentId);
    // A charge the provider had not received may still reach it: reconciliation asks again later.
    const lateChargeCheckAt =
      result.outcome === 'failed' && result.failureReason === NOT_RECEIVED
        ? nextLateChargeCheck(claimed.createdAt, new Date())
        : undefined;
    const keepsSlot = result.outcome === 'failed' && (await this.isLastFailureAllowed(claimed, result.failureReason));
    const update =
      result.outcome === 'succeeded'
        ? {
            $set: { status: PaymentStatus.SUCCEEDED, transactionId: result.transactionId },
            $unset: RECONCILE_RETRY,
            $push: {
              pendingEvents: { ...paymentSucceeded.create({ ...common, transactionId: result.transactionId }), id },
            },
          }
        : {
            // A failed payment frees the order's slot, so the customer may try again, unless it is
            // the last failure the order is allowed: holding the slot refuses every later attempt.
            $set: {
              status: PaymentStatus.FAILED,
              failureReason: result.failureReason,
              ...(!keepsSlot && { orderSlot: `failed:${common.paymentId}` }),
              ...(lateChargeCheckAt && { lateChargeWatch: true, lateChargeCheckAt }),
            },
            $unset: RECONCILE_RETRY,
            $push: {
              pendingEvents: { ...paymentFailed.create({ ...common, failureReason: result.failureReason }), id },
            },
          };
    const settled = await withDocumentLock(PaymentModel.collection.name, claimed._id, () =>
      PaymentModel.findOneAndUpdate({ _id: claimed._id, status: PaymentStatus.PENDING }, update, {
        returnDocument: 'after',
      }).lean<StoredPayment>(),
    );
    if (settled) {
      this.outbox.kick({ model: PaymentModel, id: settled._id, pendingEvents: settled.pendingEvents });
      return { record: settled, won: true };
    }
    const current = await PaymentModel.findById(claimed._id).select('-pendingEvents').lean<StoredPayment>();
    if (!current || current.status === PaymentStatus.PENDING) {
      throw new Error(`payment ${String(claimed._id)} could not be settled`);
    }
    if (result.outcome === 'succeeded' && current.status === PaymentStatus.FAILED) {
      await this.refunds.refundLateCharge(ctx, current, result.transactionId);
    }
    return { record: current, won: false };
  }

  /**
   * Whether this failure is the order's `failuresPerOrder`th (PAYMENT_FAILURES_PER_ORDER), so a
   * card tester cannot try card after card on one order. Failures counted are the provider's
   * answers; a charge it never received (its outage, not the card) counts for nothing. Only the slot's
   * holder settles, so the order's earlier failures cannot change under this count.
   */
  private async isLastFailureAllowed(claimed: StoredPayment, failureReason: string): Promise<boolean> {
    if (failureReason === NOT_RECEIVED) return false;
    const earlier = await PaymentModel.countDocuments({
      orderId: claimed.orderId,
      status: PaymentStatus.FAILED,
      failureReason: { $ne: NOT_RECEIVED },
    });
    return earlier + 1 >= this.failuresPerOrder;
  }
}
