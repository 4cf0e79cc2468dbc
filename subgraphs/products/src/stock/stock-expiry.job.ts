import { type Logger, PeriodicJob } from '@shop/platform/core';
import type { StockService } from './stock.service.js';

/**
 * The reservation expiry on the shared periodic schedule (a pass every
 * STOCK_RESERVATION_SWEEP_INTERVAL, never two at once in a process). Every replica runs it: each
 * release happens under the order's lock and only for a reservation still unconfirmed, so
 * concurrent passes give stock back once.
 */
export class StockExpiryJob extends PeriodicJob {
  constructor(stock: StockService, log: Logger, intervalMs: number) {
    super({
      name: 'stock reservation expiry',
      intervalMs,
      log,
      pass: async (now, ctx) => {
        await stock.expireStale(ctx, now);
      },
    });
  }
}
