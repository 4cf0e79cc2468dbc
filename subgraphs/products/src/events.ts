import { type EventBus, type EventOf, orderUpdated } from '@shop/events';
import type { StockService } from './stock/stock.service.js';

export const ORDERS_QUEUE = 'products.orders';

/**
 * An order that left PENDING (paid, or cancelled) no longer counts against its customer's unpaid
 * orders. Idempotent: settling an order twice changes nothing. Stock itself still moves only
 * through reserveStock/releaseStock, called by the orders subgraph.
 */
export function subscribeToOrders(bus: EventBus, stock: StockService, queue = ORDERS_QUEUE): Promise<void> {
  return bus.subscribe({
    queue,
    events: [orderUpdated],
    handler: async (event) => {
      const { data } = event as EventOf<typeof orderUpdated>;
      if (data.status !== 'PENDING') await stock.settle(data.orderId);
    },
  });
}
