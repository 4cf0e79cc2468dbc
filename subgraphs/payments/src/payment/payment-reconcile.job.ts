import { randomUUID } from 'node:crypto';
import { type Logger, RelayLoop } from '@shop/platform/core';
import type { PaymentService } from './payment.service.js';

/**
 * Reconciliation on the shared relay schedule (a pass every PAYMENT_RECONCILE_INTERVAL, never two
 * at once in a process). It runs on every replica: each settlement is a conditional write of the
 * provider's one answer under one event id, so concurrent passes agree.
 */
export class PaymentReconcileJob {
  private readonly loop: RelayLoop;

  constructor(payments: PaymentService, log: Logger, intervalMs: number) {
    this.loop = new RelayLoop(
      async () => {
        const requestId = `reconcile-${randomUUID()}`;
        await payments.reconcile({ requestId, log: log.child({ requestId }) });
      },
      log,
      intervalMs,
      'payment reconciliation',
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
