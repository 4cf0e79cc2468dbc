import { RejectedEventError } from '@shop/events';
import { formatCents, NotFoundError, toCents } from '@shop/platform/core';
import { paymentEventsRejected } from './order.metrics.js';
import type { StoredOrder } from './order-transition.writer.js';

/**
 * Applies a payment event to its order; a missing order is a rejection (`unknown-order`), not a
 * failure to retry for minutes. A rejected payment.succeeded is counted by reason
 * (`payment_events_rejected_total`: money taken that no order records); a failed payment took no
 * money, so its rejection is only parked (`events_dead_lettered_total`).
 */
export async function rejectingUnknownOrder(
  orderId: string,
  apply: () => Promise<unknown>,
  { moneyTaken }: { moneyTaken: boolean },
): Promise<void> {
  try {
    await apply();
  } catch (error) {
    const missing = error instanceof NotFoundError && error.extensions.entity === 'Order';
    const rejected = missing ? new RejectedEventError(`unknown-order: no order ${orderId}`) : error;
    if (moneyTaken && rejected instanceof RejectedEventError) {
      paymentEventsRejected.inc({ reason: rejected.reason.split(':')[0] });
    }
    throw rejected;
  }
}

/** Why a payment.succeeded must not be applied to this order, or null when it may. */
export function paymentMismatch(
  order: StoredOrder,
  payment: { paymentId: string; userId: string; amount: string },
): string | null {
  const paidCents = toCents(payment.amount);
  if (paidCents !== order.totalCents) {
    return `amount-mismatch: payment ${payment.paymentId} of ${payment.amount} for an order total of ${formatCents(order.totalCents)}`;
  }
  if (payment.userId !== order.userId) return `user-mismatch: payment ${payment.paymentId} is not by the order's owner`;
  if (order.paymentId && order.paymentId !== payment.paymentId) {
    return `not-live-payment: payment ${payment.paymentId}, but the order was paid by ${order.paymentId}`;
  }
  return null;
}
