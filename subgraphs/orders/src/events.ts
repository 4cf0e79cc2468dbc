import { type EventBus, type EventOf, paymentFailed, paymentSucceeded, userDeleted } from '@shop/events';
import type { Logger } from '@shop/platform/core';
import type { OrderService } from './order/order.service.js';

/** Durable queues of the two consumers; overridable for tests. */
export const ORDERS_QUEUES = {
  payments: 'orders.payments',
  accounts: 'orders.accounts',
};

/**
 * Payment outcomes move orders along their life cycle, each event at most once: the transition
 * records the event's id in the order it changes (OrderTransitionWriter.move), and is itself a claim
 * on the order's state.
 */
export function subscribeToPayments(
  bus: EventBus,
  orders: OrderService,
  queue = ORDERS_QUEUES.payments,
): Promise<void> {
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

/** A deleted account's unpaid orders are cancelled and their stock released (idempotent, as above). */
export function subscribeToAccounts(
  bus: EventBus,
  orders: OrderService,
  log: Logger,
  queue = ORDERS_QUEUES.accounts,
): Promise<void> {
  return bus.subscribe({
    queue,
    events: [userDeleted],
    handler: async (event) => {
      const { id } = event;
      const ctx = { requestId: id, log: log.child({ eventId: id }) };
      await orders.cancelForDeletedAccount(ctx, event as EventOf<typeof userDeleted>);
    },
  });
}
