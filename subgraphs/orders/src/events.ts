import { type EventBus, type EventOf, paymentFailed, paymentSucceeded } from '@shop/events';
import type { OrderService } from './order/order.service.js';

export const PAYMENTS_QUEUE = 'orders.payments';

/**
 * Payment outcomes move orders along their life cycle, each event at most once: the transition
 * records the event's id in the order it changes (OrderTransitionWriter.move), and is itself a claim
 * on the order's state.
 */
export function subscribeToPayments(bus: EventBus, orders: OrderService, queue = PAYMENTS_QUEUE): Promise<void> {
  return bus.subscribe({
    queue,
    events: [paymentSucceeded, paymentFailed],
    handler: async (event) => {
      // The bus has already validated each message against the schema of its type.
      await (event.type === paymentSucceeded.type
        ? orders.recordPaymentSucceeded(event as EventOf<typeof paymentSucceeded>)
        : orders.recordPaymentFailed(event as EventOf<typeof paymentFailed>));
    },
  });
}
