import { type Logger, PeriodicJob } from '@shop/platform/core';
import type { PaymentService } from './payment.service.js';

/**
 * Reconciliation on the shared periodic schedule (a pass every PAYMENT_RECONCILE_INTERVAL, never
 * two at once in a process). It runs on every replica: each settlement is a conditional write of
 * the provider's one answer under one event id, so concurrent passes agree.
 */
export class PaymentReconcileJob extends PeriodicJob {
  constructor(payments: PaymentService, log: Logger, intervalMs: number) {
    super({
      name: 'payment reconciliation',
      intervalMs,
      log,
      pass: async (now, ctx) => {
        await payments.reconcile(ctx, now);
      },
    });
  }
}
