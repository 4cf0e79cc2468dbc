import type { ConsumedEvent } from '../events.js';
import { NotificationChannel } from './notification.type.js';

export interface NotificationMessage {
  userId: string;
  channel: NotificationChannel;
  subject?: string;
  body: string;
  orderId?: string;
}

const email = (userId: string, subject: string, body: string, orderId?: string): NotificationMessage => ({
  userId,
  channel: NotificationChannel.EMAIL,
  subject,
  body,
  orderId,
});

/** The short human message each consumed event becomes. */
export function toNotificationMessage(event: ConsumedEvent): NotificationMessage {
  switch (event.type) {
    case 'order.created': {
      const { userId, orderId, totalAmount } = event.data;
      return email(userId, 'Order received', `Your order ${orderId} was created. Total: ${totalAmount}.`, orderId);
    }
    case 'order.updated': {
      const { userId, orderId, status } = event.data;
      const state = status.toLowerCase();
      return email(userId, `Order ${state}`, `Your order ${orderId} is now ${state}.`, orderId);
    }
    case 'payment.succeeded': {
      const { userId, orderId, amount } = event.data;
      return email(userId, 'Payment received', `Payment of ${amount} for order ${orderId} succeeded.`, orderId);
    }
    case 'payment.failed': {
      const { userId, orderId, amount, failureReason } = event.data;
      const body = `Payment of ${amount} for order ${orderId} failed (${failureReason}). You can try again.`;
      return email(userId, 'Payment failed', body, orderId);
    }
    case 'notification.email':
      return email(event.data.userId, event.data.subject, event.data.body);
    case 'notification.sms':
      return { userId: event.data.userId, channel: NotificationChannel.SMS, body: event.data.body };
  }
}
