import {
  type EventBus,
  type EventOf,
  notificationEmail,
  notificationSms,
  orderCreated,
  orderUpdated,
  paymentFailed,
  paymentSucceeded,
  userDeleted,
} from '@shop/events';
import type { UsersContactDirectory } from './contact/contact.directory.js';
import type { DeliveryService } from './delivery/delivery.service.js';
import type { NotificationService } from './notification/notification.service.js';

/** Durable queues of the three consumers; overridable for tests. */
export const NOTIFICATIONS_QUEUES = {
  events: 'notifications.events',
  email: 'notifications.email-sender',
  sms: 'notifications.sms-sender',
};
export type NotificationsQueues = typeof NOTIFICATIONS_QUEUES;

/** The prefix of each replica's own queue for deleted accounts (exclusive: no retries, no dead letters). */
export const DELETED_ACCOUNTS_QUEUE = 'notifications.deleted-accounts';

export const decidedEvents = [orderCreated, orderUpdated, paymentSucceeded, paymentFailed] as const;
export type DecidedEvent = EventOf<(typeof decidedEvents)[number]>;

/**
 * Business events become notifications and their send requests; the senders consume those
 * requests. No processed-event records: each effect is its own marker (a notification keyed by
 * event and template, a send claimed by its notification's id). A deleted account's notifications
 * go (`user.deleted`). The bus has validated every envelope against the definition of its type.
 */
export async function subscribeToEvents(
  bus: EventBus,
  notifications: NotificationService,
  queue = NOTIFICATIONS_QUEUES.events,
): Promise<void> {
  await bus.subscribe({
    queue,
    events: [...decidedEvents, userDeleted],
    handler: async (event) => {
      if (event.type === userDeleted.type) {
        await notifications.forgetUser((event as EventOf<typeof userDeleted>).data.userId);
      } else {
        await notifications.handle(event as DecidedEvent);
      }
    },
  });
}

export async function subscribeToDeliveries(
  bus: EventBus,
  delivery: DeliveryService,
  queues: Pick<NotificationsQueues, 'email' | 'sms'> = NOTIFICATIONS_QUEUES,
): Promise<void> {
  await bus.subscribe({
    queue: queues.email,
    events: [notificationEmail],
    handler: (event) => delivery.deliverEmail(event as EventOf<typeof notificationEmail>),
  });
  await bus.subscribe({
    queue: queues.sms,
    events: [notificationSms],
    handler: (event) => delivery.deliverSms(event as EventOf<typeof notificationSms>),
  });
}

/**
 * Every replica hears of each deleted account on a queue of its own and stops using the addresses
 * it kept of it at once (one replica's consumer above deletes the notifications). Otherwise a
 * replica that looked the account up within CONTACT_TTL_MS would still send to it, for one the
 * cancellations of its unpaid orders. After a gap (the broker away), everything kept goes.
 */
export async function subscribeToDeletedAccounts(
  bus: EventBus,
  contacts: Pick<UsersContactDirectory, 'markDeleted' | 'forgetKept' | 'hearing'>,
  queue = DELETED_ACCOUNTS_QUEUE,
): Promise<void> {
  await bus.subscribe({
    queue,
    exclusive: true,
    events: [userDeleted],
    handler: async (event) => contacts.markDeleted((event as EventOf<typeof userDeleted>).data.userId),
    // Bound (again): every deletion from now on is heard; one in a gap before may not have been.
    onBound: () => contacts.hearing(),
    onRestored: () => contacts.forgetKept(),
  });
}
