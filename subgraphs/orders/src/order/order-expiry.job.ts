import { type Logger, PeriodicJob } from '@shop/platform/core';
import type { OrderExpiryService, SweepResult } from './order-expiry.service.js';

/** Both in milliseconds (see config.ts). */
export interface OrderExpirySettings {
  ORDER_PAYMENT_TIMEOUT: number;
  ORDER_PAYMENT_GRACE: number;
  ORDER_EXPIRY_INTERVAL: number;
}

/**
 * The unpaid-order sweep on the shared periodic schedule, in every replica; the service makes
 * concurrent sweeps safe, so no leader election is needed.
 */
export class OrderExpiryJob extends PeriodicJob<SweepResult> {
  constructor(expiry: OrderExpiryService, settings: OrderExpirySettings, log: Logger) {
    super({
      name: 'order expiry sweep',
      intervalMs: settings.ORDER_EXPIRY_INTERVAL,
      log,
      pass: (now, ctx) =>
        expiry.sweepUnpaid(
          ctx,
          new Date(now.getTime() - settings.ORDER_PAYMENT_TIMEOUT - settings.ORDER_PAYMENT_GRACE),
        ),
    });
  }
}
