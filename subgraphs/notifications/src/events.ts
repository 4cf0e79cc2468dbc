import {
  type EventBus,
  type EventOf,
  notificationEmail,
  notificationSms,
  orderCreated,
  orderUpdated,
  paymentFailed,
  paymentSucceeded,
} from '@shop/events';
import type { NotificationService } from './notification/notification.service.js';

export const NOTIFICATIONS_QUEUE = 'notifications.events';

export const consumedEvents = [
  orderCreated,
  orderUpdated,
  paymentSucceeded,
  paymentFailed,
  notificationEmail,
  notificationSms,
] as const;

export type ConsumedEvent = EventOf<(typeof consumedEvents)[number]>;

/** Every consumed event becomes one notification record; `queue` is overridable for tests. */
export function subscribeToEvents(
  bus: EventBus,
  notifications: NotificationService,
  queue = NOTIFICATIONS_QUEUE,
): Promise<void> {
  return bus.subscribe({
    queue,
    events: [...consumedEvents],
    // The bus has validated the envelope against the definition of its routing key.
    handler: (event) => notifications.record(event as ConsumedEvent),
  });
}
