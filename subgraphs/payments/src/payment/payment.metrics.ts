import { runForScrape } from '@shop/platform/mongo';
import { Counter, Gauge } from 'prom-client';
import { PaymentModel } from './payment.model.js';
import { OWED_REFUNDS } from './payment.refunds.js';
import { PaymentStatus } from './payment.type.js';

/** Payments settled by reconciliation (or by a cancellation resolving them), by the provider's answer. */
export const paymentsReconciled = new Counter({
  name: 'payments_reconciled_total',
  help: 'PENDING payments settled from the provider record, by outcome (SUCCEEDED, FAILED)',
  labelNames: ['outcome'] as const,
});

let graceMs: number | undefined;

/** Counted at scrape time across all replicas: should stay 0; anything else means reconciliation is stuck. */
export const paymentsPendingBeyondGrace = new Gauge({
  name: 'payments_pending_beyond_grace',
  help: 'Payments PENDING for longer than the reconciliation grace period',
  async collect() {
    if (graceMs === undefined) return;
    const cutoff = new Date(Date.now() - graceMs);
    const count = await runForScrape(() =>
      PaymentModel.countDocuments({ status: PaymentStatus.PENDING, createdAt: { $lte: cutoff } }).catch(
        () => undefined,
      ),
    );
    if (count !== undefined) this.set(count);
  },
});

/** Counted at scrape time across all replicas: above 0 for long means the provider keeps refusing refunds. */
export const paymentRefundsOwed = new Gauge({
  name: 'payments_refunds_owed',
  help: 'Refunds owed and not made yet (one in progress, or failed and retried by reconciliation), by kind',
  labelNames: ['kind'] as const,
  async collect() {
    if (graceMs === undefined) return;
    for (const [kind, filter] of Object.entries(OWED_REFUNDS)) {
      const count = await runForScrape(() => PaymentModel.countDocuments(filter).catch(() => undefined));
      if (count !== undefined) this.set({ kind }, count);
    }
  },
});

/** Starts reporting the gauges (in a process that reconciles), with the grace period it reconciles with. */
export function reportPaymentGauges(grace: number): void {
  graceMs = grace;
}
