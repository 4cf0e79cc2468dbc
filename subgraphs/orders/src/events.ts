import { type EventBus, type EventOf, paymentFailed, paymentSucceeded } from '@shop/events';
import type { OrderService } from './order/order.service.js';

export const PAYMENTS_QUEUE = 'orders.payments';

/** Payment outcomes move orders along their life cycle; handlers are idempotent (conditional updates). */
export function subscribeToPayments(bus: EventBus, orders: OrderService, queue = PAYMENTS_QUEUE): Promise<void> {
  return bus.subscribe({
    queue,
    events: [paymentSucceeded, paymentFailed],
    handler: async (event) => {
      // The bus has already validated each message against the schema of its type.
      if (event.type === paymentSucceeded.type) {
        await orders.recordPaymentSucceeded(event as EventOf<typeof paymentSucceeded>);
      } else {
        await orders.recordPaymentFailed(event as EventOf<typeof paymentFailed>);
      }
    },
  });
}
