import { randomUUID } from 'node:crypto';
import { type Logger, RelayLoop } from '@shop/platform/core';
import type { StockService } from './stock.service.js';

/**
 * The reservation expiry on the shared relay schedule (a pass every STOCK_RESERVATION_SWEEP_INTERVAL,
 * never two at once in a process). Every replica runs it: each release happens under the order's
 * lock and only for a reservation still unconfirmed, so concurrent passes give stock back once.
 */
export class StockExpiryJob {
  private readonly loop: RelayLoop;

  constructor(stock: StockService, log: Logger, intervalMs: number) {
    this.loop = new RelayLoop(
      async () => {
        const requestId = `stock-expiry-${randomUUID()}`;
        await stock.expireStale({ requestId, log: log.child({ requestId }) });
      },
      log,
      intervalMs,
      'stock reservation expiry',
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
