import { Counter } from 'prom-client';

/** payment.succeeded events not applied to their order (parked in the DLQ and logged as alerts). */
export const paymentEventsRejected = new Counter({
  name: 'payment_events_rejected_total',
  help: 'Payment events refused by orders, by reason (amount-mismatch, user-mismatch, not-live-payment, unknown-order)',
  labelNames: ['reason'] as const,
});
