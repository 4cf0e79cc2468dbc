import { runForScrape } from '@shop/platform/mongo';
import { stateGauge } from '@shop/platform/telemetry';
import { Counter } from 'prom-client';
import { OrderModel } from './order.model.js';
import { OrderStatus } from './order.type.js';

/** Why orders refuses a payment.succeeded: the first word of its RejectedEventError's reason. */
export const PAYMENT_REJECTIONS = ['amount-mismatch', 'user-mismatch', 'not-live-payment', 'unknown-order'] as const;

/** payment.succeeded events not applied to their order (parked in the DLQ and logged as alerts). */
export const paymentEventsRejected = new Counter({
  name: 'payment_events_rejected_total',
  help: 'payment.succeeded events refused by orders, by reason (amount-mismatch, user-mismatch, not-live-payment, unknown-order)',
  labelNames: ['reason'] as const,
});

/**
 * Starts reporting cancelled orders whose stock products has not confirmed given back (the expiry
 * sweep retries the release each pass): should return to 0; above it for long, products is
 * unreachable or refuses the releases, and that stock is not for sale.
 */
export function reportOrderGauges(): void {
  // Each reason's series exists from the start: Prometheus' increase() does not count a series'
  // first sample, so a first rejection counted from nothing would raise no alert.
  for (const reason of PAYMENT_REJECTIONS) paymentEventsRejected.inc({ reason }, 0);
  stateGauge(
    'orders_stock_release_pending',
    'Cancelled orders whose stock release products has not confirmed yet (retried by the expiry sweep)',
    {
      count: () =>
        runForScrape(() => OrderModel.countDocuments({ stockReleased: false, status: OrderStatus.CANCELLED })),
    },
  );
}
