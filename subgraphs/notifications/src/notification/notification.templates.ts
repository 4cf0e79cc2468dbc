import type { DecidedEvent } from '../events.js';
import { NotificationChannel } from './notification.type.js';

/** A message decided for an event, before it is addressed. */
export interface NotificationDraft {
  /** Unique per event: part of the notification's id. */
  template: string;
  channel: NotificationChannel;
  subject?: string;
  body: string;
  orderId: string;
}

const email = (template: string, orderId: string, subject: string, body: string): NotificationDraft => ({
  template,
  channel: NotificationChannel.EMAIL,
  subject,
  body,
  orderId,
});
const sms = (template: string, orderId: string, body: string): NotificationDraft => ({
  template,
  channel: NotificationChannel.SMS,
  body,
  orderId,
});

/**
 * Who gets what: an order confirmation email, a payment receipt by email and SMS, a payment
 * failure email, a cancellation email (only an unpaid order can be cancelled: by its owner, an
 * admin or the payment timeout), a refund email for a payment that went through after its order
 * was cancelled, a shipped SMS. Every other event (e.g. an order becoming PAID, which the receipt already tells)
 * sends nothing. Always to the order's customer.
 */
export function draftsFor(event: DecidedEvent): NotificationDraft[] {
  switch (event.type) {
    case 'order.created': {
      const { orderId, totalAmount, items } = event.data;
      const lines = items.map((item) => `${item.quantity} x ${item.productId} at ${item.price}`).join('\n');
      const body = `Thank you for your order ${orderId}.\n${lines}\nTotal: ${totalAmount}.`;
      return [email('order-confirmation', orderId, `Order confirmation ${orderId}`, body)];
    }
    case 'payment.succeeded': {
      const { orderId, amount, transactionId } = event.data;
      return [
        email(
          'payment-receipt',
          orderId,
          `Payment receipt for order ${orderId}`,
          `We received your payment of ${amount} for order ${orderId}. Transaction: ${transactionId}.`,
        ),
        sms('payment-receipt-sms', orderId, `Shop: payment of ${amount} for order ${orderId} received.`),
      ];
    }
    case 'payment.failed': {
      const { orderId, amount, failureReason } = event.data;
      return [
        email(
          'payment-failure',
          orderId,
          `Payment failed for order ${orderId}`,
          `Your payment of ${amount} for order ${orderId} failed (${failureReason}). While the order awaits payment, you can try again.`,
        ),
      ];
    }
    case 'order.updated': {
      const { orderId, previousStatus, status, paymentStatus } = event.data;
      // A payment that went through after its order was cancelled: orders marks it REFUNDED (once),
      // and payments gives the money back. The receipt came first; this tells the customer why.
      if (paymentStatus === 'REFUNDED') {
        const body = `Your order ${orderId} was cancelled before your payment for it went through. The payment is refunded to your payment method.`;
        return [email('payment-refund', orderId, `Refund for order ${orderId}`, body)];
      }
      if (status === 'CANCELLED' && previousStatus !== 'CANCELLED') {
        // Also when a payment went through as its stock lapsed (the refund email follows): the wording holds either way.
        const body = `Your order ${orderId} was cancelled, and its items are no longer reserved for you. Any payment for it is refunded to your payment method.`;
        return [email('order-cancellation', orderId, `Order ${orderId} cancelled`, body)];
      }
      return status === 'SHIPPED' ? [sms('order-shipped', orderId, `Shop: your order ${orderId} has shipped.`)] : [];
    }
  }
}
