import { runForScrape } from '@shop/platform/mongo';
import { stateGauge } from '@shop/platform/telemetry';
import { Counter } from 'prom-client';
import { PaymentModel } from './payment.model.js';
import { OWED_REFUNDS } from './payment.refunds.js';
import { PaymentStatus } from './payment.type.js';

/** Payments settled by reconciliation (or by a cancellation resolving them), by the provider's answer. */
export const paymentsReconciled = new Counter({
  name: 'payments_reconciled_total',
  help: 'PENDING payments settled from the provider record, by outcome (SUCCEEDED, FAILED)',
  labelNames: ['outcome'] as const,
});

/**
 * Starts reporting the payments that should not stay as they are (in a process that reconciles, with
 * the grace period it reconciles with): both should return to 0, counted across all replicas.
 */
export function reportPaymentGauges(graceMs: number): void {
  stateGauge('payments_pending_beyond_grace', 'Payments PENDING for longer than the reconciliation grace period', {
    count: () =>
      runForScrape(() =>
        PaymentModel.countDocuments({
          status: PaymentStatus.PENDING,
          createdAt: { $lte: new Date(Date.now() - graceMs) },
        }),
      ),
  });
  // Above 0 for long: the provider keeps refusing refunds.
  stateGauge(
    'payments_refunds_owed',
    'Refunds owed and not made yet (one in progress, or failed and retried by reconciliation), by kind',
    {
      label: 'kind',
      counts: Object.fromEntries(
        Object.entries(OWED_REFUNDS).map(([kind, filter]) => [
          kind,
          () => runForScrape(() => PaymentModel.countDocuments(filter)),
        ]),
      ),
    },
  );
}
