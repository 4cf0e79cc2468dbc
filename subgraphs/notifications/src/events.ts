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
import { ProcessedEvents } from '@shop/platform/mongo';
import type { DeliveryService } from './delivery/delivery.service.js';
import type { NotificationService } from './notification/notification.service.js';

/** Durable queues of the three consumers; overridable for tests. */
export const NOTIFICATIONS_QUEUES = {
  events: 'notifications.events',
  email: 'notifications.email-sender',
  sms: 'notifications.sms-sender',
};
export type NotificationsQueues = typeof NOTIFICATIONS_QUEUES;

export const decidedEvents = [orderCreated, orderUpdated, paymentSucceeded, paymentFailed] as const;
export type DecidedEvent = EventOf<(typeof decidedEvents)[number]>;

/**
 * Business events become notifications (with their send requests, published through the outbox);
 * the senders consume those requests. Each consumer records the events it applied; the bus has
 * validated every envelope against the definition of its type.
 */
export async function subscribeToEvents(
  bus: EventBus,
  notifications: NotificationService,
  queue = NOTIFICATIONS_QUEUES.events,
): Promise<void> {
  const processed = new ProcessedEvents(queue);
  await bus.subscribe({
    queue,
    events: [...decidedEvents],
    handler: (event) => processed.once(event, () => notifications.handle(event as DecidedEvent)).then(() => {}),
  });
}

export async function subscribeToDeliveries(
  bus: EventBus,
  delivery: DeliveryService,
  queues: Pick<NotificationsQueues, 'email' | 'sms'> = NOTIFICATIONS_QUEUES,
): Promise<void> {
  const emails = new ProcessedEvents(queues.email);
  const texts = new ProcessedEvents(queues.sms);
  await bus.subscribe({
    queue: queues.email,
    events: [notificationEmail],
    handler: (event) =>
      emails.once(event, () => delivery.deliverEmail(event as EventOf<typeof notificationEmail>)).then(() => {}),
  });
  await bus.subscribe({
    queue: queues.sms,
    events: [notificationSms],
    handler: (event) =>
      texts.once(event, () => delivery.deliverSms(event as EventOf<typeof notificationSms>)).then(() => {}),
  });
}
