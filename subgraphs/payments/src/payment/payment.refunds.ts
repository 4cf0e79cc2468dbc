import type { SystemContext } from '@shop/platform/core';
import { EffectClaims, effectClaimModel, withDocumentLock } from '@shop/platform/mongo';
import type { Types } from 'mongoose';
import { PaymentModel, type PaymentRecord, updatePayment } from './payment.model.js';
import { PaymentStatus } from './payment.type.js';
import type { ChargeLookup, PaymentProvider } from './payment-provider.js';

export type StoredPayment = PaymentRecord & { _id: Types.ObjectId };

/**
 * A refund claimed longer ago than this and not settled is a dead replica's: taken over (and the
 * provider, keyed by the same reference, refunds once). Well within the retry ladder's back-off.
 */
const REFUND_CLAIM_TIMEOUT_MS = 10_000;
/** Payments looked at per pass, of each kind. */
const RETRY_BATCH = 100;

/**
 * How long a payment failed as never received is still asked about: a charge request lost with
 * the process that sent it may yet be recorded by the provider. Checked at doubling intervals, so
 * about a dozen lookups in all. A charge recorded later than this is left to the provider's
 * dispute tooling (and its own expiry of unconfirmed charges).
 */
export const LATE_CHARGE_WATCH_MS = 24 * 60 * 60 * 1_000;
const FIRST_LATE_CHARGE_CHECK_MS = 30_000;
/** What ends the watch of a payment. */
const LATE_CHARGE_WATCH = { lateChargeWatch: 1, lateChargeCheckAt: 1 } as const;

/** The flag that marks a payment as owing each kind of refund (indexed: a handful, whatever the history). */
export const OWED_REFUNDS = {
  'cancelled-order': { refundDue: true },
  'late-charge': { lateChargeRefundDue: true },
} as const;

const FIRST_RETRY_MS = 5_000;
const LONGEST_RETRY_MS = 15 * 60_000;
/** What a made refund clears of its failed retries. */
const REFUND_RETRY = { refundAttempts: 1, refundRetryAt: 1 } as const;

/**
 * When reconciliation tries again what has failed `attempts` times (an owed refund, a PENDING
 * payment it could not settle): after 5 s, doubling up to 15 min. A provider outage is not called
 * a hundred times a pass, a payment the provider keeps failing on does not hold the others back,
 * and nothing is ever given up (payments_refunds_owed and payments_pending_beyond_grace show them).
 */
export function nextRetry(attempts: number, now: Date): Date {
  const wait = Math.min(FIRST_RETRY_MS * 2 ** Math.max(attempts - 1, 0), LONGEST_RETRY_MS);
  return new Date(now.getTime() + wait);
}

/**
 * When to ask the provider next about a payment created at `createdAt`: as long again as it has
 * been since then (at least 30 s), or never (undefined) once that is past the watch.
 */
export function nextLateChargeCheck(createdAt: Date, now: Date): Date | undefined {
  const age = now.getTime() - createdAt.getTime();
  const next = now.getTime() + Math.max(age, FIRST_LATE_CHARGE_CHECK_MS);
  return next - createdAt.getTime() > LATE_CHARGE_WATCH_MS ? undefined : new Date(next);
}

/**
 * Money going back, at most once per payment: the refund is claimed (`refund:<paymentId>`, a unique
 * insert that holds across replicas) before the provider is called with the payment id as its
 * idempotency reference, and the payment is marked after.
 */
export class PaymentRefunds {
  constructor(
    private readonly provider: PaymentProvider,
    private readonly claims = new EffectClaims(REFUND_CLAIM_TIMEOUT_MS),
  ) {}

  /**
   * A SUCCEEDED payment of a cancelled order becomes REFUNDED. True when this call refunded it. It
   * is marked as owed first (`refundDue`), so a refund that fails here (a provider outage longer
   * than the event's retries) is retried by reconciliation until done, not left to a replay.
   */
  async refundSucceeded(record: StoredPayment): Promise<boolean> {
    await updatePayment(record._id, { status: PaymentStatus.SUCCEEDED }, { $set: { refundDue: true } });
    return this.refundOwedPayment(record);
  }

  /**
   * The provider took the charge of a payment already given up as FAILED: reconciliation found no
   * record of it within the grace period (a slow provider). A failed payment keeps no money. It is
   * marked as owing a refund first, so a refund that fails here is retried by reconciliation.
   */
  async refundLateCharge(ctx: Pick<SystemContext, 'log'>, record: StoredPayment, transactionId: string) {
    const paymentId = String(record._id);
    await updatePayment(
      record._id,
      { status: PaymentStatus.FAILED, lateChargeRefundedAt: { $exists: false } },
      { $set: { lateChargeRefundDue: true, lateChargeTransactionId: transactionId }, $unset: LATE_CHARGE_WATCH },
    );
    ctx.log.error({ alert: true, paymentId }, 'the provider took the charge of a failed payment; refunding it');
    await this.refundDueLateCharge({ ...record, lateChargeTransactionId: transactionId }).catch((error: unknown) => {
      ctx.log.warn({ err: error, paymentId }, 'late charge not refunded yet; reconciliation retries');
    });
  }

  /**
   * Reconciliation's part: asks the provider about each payment failed as never received whose
   * check is due (`lateChargeWatch`, `lateChargeCheckAt`). A charge found there is refunded
   * (refundLateCharge); a decline, or the end of the watch, ends the checks. How many it found.
   */
  async watchLateCharges(ctx: Pick<SystemContext, 'log'>, now: Date): Promise<number> {
    const due = await PaymentModel.find({ lateChargeWatch: true, lateChargeCheckAt: { $lte: now } })
      .select('-pendingEvents')
      .sort({ lateChargeCheckAt: 1 })
      .limit(RETRY_BATCH)
      .lean<StoredPayment[]>();
    let found = 0;
    for (const record of due) {
      const paymentId = String(record._id);
      try {
        // A lookup that fails is an unknown answer: asked again at the next check, so a payment the
        // provider cannot answer about does not hold the others back.
        const lookup = await this.provider.lookup(paymentId).catch((error: unknown): ChargeLookup => {
          ctx.log.warn({ err: error, paymentId }, 'late charge not checked; asked again at the next check');
          return { outcome: 'unknown' };
        });
        if (lookup.outcome === 'succeeded') {
          await this.refundLateCharge(ctx, record, lookup.transactionId);
          found++;
          continue;
        }
        const next = lookup.outcome === 'unknown' ? nextLateChargeCheck(record.createdAt, now) : undefined;
        await updatePayment(
          record._id,
          { lateChargeCheckAt: record.lateChargeCheckAt },
          next ? { $set: { lateChargeCheckAt: next } } : { $unset: LATE_CHARGE_WATCH },
        );
      } catch (error) {
        ctx.log.warn({ err: error, paymentId }, 'late charge not checked; the next pass retries');
      }
    }
    return found;
  }

  /**
   * Reconciliation's part: the refunds owed whose first try failed, of cancelled orders' payments
   * and of late charges, each when its retry is due (nextRetry). How many it refunded.
   */
  async retryOwed(ctx: Pick<SystemContext, 'log'>, now: Date): Promise<number> {
    const payments = await this.retry(ctx, now, OWED_REFUNDS['cancelled-order'], (record) =>
      this.refundOwedPayment(record),
    );
    const lateCharges = await this.retry(ctx, now, OWED_REFUNDS['late-charge'], (record) =>
      this.refundDueLateCharge(record),
    );
    return payments + lateCharges;
  }

  private async retry(
    ctx: Pick<SystemContext, 'log'>,
    now: Date,
    owed: Record<string, true>,
    refund: (record: StoredPayment) => Promise<boolean>,
  ): Promise<number> {
    // The owed flag is the indexed equality; the retry time (absent before a retry failed) is
    // filtered among the few owed.
    const due = await PaymentModel.find({ ...owed, refundRetryAt: { $not: { $gt: now } } })
      .select('-pendingEvents')
      .limit(RETRY_BATCH)
      .lean<StoredPayment[]>();
    let refunded = 0;
    for (const record of due) {
      const paymentId = String(record._id);
      try {
        if (await refund(record)) refunded++;
      } catch (error) {
        const attempts = (record.refundAttempts ?? 0) + 1;
        const retryAt = nextRetry(attempts, now);
        ctx.log.warn({ err: error, paymentId, attempts, retryAt }, 'owed refund not made; retried later');
        await updatePayment(record._id, owed, { $set: { refundAttempts: attempts, refundRetryAt: retryAt } }).catch(
          (failure: unknown) => ctx.log.warn({ err: failure, paymentId }, 'owed refund retry not rescheduled'),
        );
      }
    }
    return refunded;
  }

  private refundOwedPayment(record: StoredPayment): Promise<boolean> {
    return this.refundOnce(
      record,
      { status: PaymentStatus.SUCCEEDED },
      { $set: { status: PaymentStatus.REFUNDED }, $unset: { refundDue: 1, ...REFUND_RETRY } },
    );
  }

  private refundDueLateCharge(record: StoredPayment): Promise<boolean> {
    return this.refundOnce(
      record,
      { lateChargeRefundDue: true },
      { $unset: { lateChargeRefundDue: 1, ...REFUND_RETRY }, $set: { lateChargeRefundedAt: new Date() } },
    );
  }

  /**
   * Refunds `record` while it matches `due`, then applies `done` to it. True when this call refunded
   * it; false when it was done before. Within a process, calls for one payment queue behind each
   * other (the later one no longer finds it due); across replicas the claim decides.
   */
  private refundOnce(
    record: StoredPayment,
    due: Record<string, unknown>,
    done: Record<string, Record<string, unknown>>,
  ): Promise<boolean> {
    const key = `refund:${String(record._id)}`;
    return withDocumentLock(effectClaimModel().collection.name, key, async () => {
      if (!(await PaymentModel.exists({ _id: record._id, ...due }))) return false;
      const outcome = await this.claims.perform(key, () =>
        this.provider.refund({
          reference: String(record._id),
          transactionId: record.transactionId ?? record.lateChargeTransactionId ?? '',
          amountCents: record.amountCents,
        }),
      );
      // Marked before the claim is settled: a crash in between takes the claim over, and the
      // provider answers the repeated reference as already refunded.
      await updatePayment(record._id, due, done);
      if (outcome.state !== 'done') return false;
      await this.claims.settle(outcome.claim);
      return true;
    });
  }
}
