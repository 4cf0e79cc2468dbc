import { type EventBus, type EventOf, paymentFailed, paymentSucceeded } from '@shop/events';
import { ProcessedEvents } from '@shop/platform/mongo';
import type { OrderService } from './order/order.service.js';

export const PAYMENTS_QUEUE = 'orders.payments';

/**
 * Payment outcomes move orders along their life cycle, each event at most once: recorded in
 * `processed_events`, and the transitions themselves are conditional on the order's state.
 */
export function subscribeToPayments(bus: EventBus, orders: OrderService, queue = PAYMENTS_QUEUE): Promise<void> {
  const processed = new ProcessedEvents(queue);
  return bus.subscribe({
    queue,
    events: [paymentSucceeded, paymentFailed],
    handler: async (event) => {
      // The bus has already validated each message against the schema of its type.
      await processed.once(event, () =>
        event.type === paymentSucceeded.type
          ? orders.recordPaymentSucceeded(event as EventOf<typeof paymentSucceeded>)
          : orders.recordPaymentFailed(event as EventOf<typeof paymentFailed>),
      );
    },
  });
}
