import { type EventBus, type EventOf, paymentSucceeded } from '@shop/events';
import type { StockService } from './stock/stock.service.js';

export const PAYMENTS_QUEUE = 'products.payments';

/**
 * A paid order no longer counts against its customer's unpaid orders: settled from
 * payment.succeeded itself, one hop before the order is marked PAID, so a backlog in orders' own
 * consumer does not hold the customer's place. Idempotent. (A cancelled order frees its place when
 * orders releases its stock.) Stock itself moves only through reserveStock/releaseStock.
 */
export function subscribeToPayments(bus: EventBus, stock: StockService, queue = PAYMENTS_QUEUE): Promise<void> {
  return bus.subscribe({
    queue,
    events: [paymentSucceeded],
    handler: async (event) => {
      const { data } = event as EventOf<typeof paymentSucceeded>;
      await stock.settle(data.orderId);
    },
  });
}
