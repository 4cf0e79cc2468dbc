import { type EventBus, type EventOf, orderUpdated } from '@shop/events';
import type { Logger } from '@shop/platform/core';
import type { PaymentService } from './payment/payment.service.js';

export const ORDERS_QUEUE = 'payments.orders';

/**
 * A cancelled order (by its owner, an admin or the expiry job) gets any payment that raced the
 * cancellation refunded. Idempotent: only SUCCEEDED payments are refunded, each once.
 */
export function subscribeToOrders(
  bus: EventBus,
  payments: PaymentService,
  log: Logger,
  queue = ORDERS_QUEUE,
): Promise<void> {
  return bus.subscribe({
    queue,
    events: [orderUpdated],
    handler: async (event) => {
      const { data, id } = event as EventOf<typeof orderUpdated>;
      if (data.status !== 'CANCELLED') return;
      await payments.refundCancelledOrder({ requestId: id, log: log.child({ eventId: id }) }, data.orderId);
    },
  });
}
