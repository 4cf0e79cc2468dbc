import { notificationEmail, notificationSms } from '@shop/events';
import { assertOwnerOrAdmin, requirePrincipal } from '@shop/platform/core';
import { isDuplicateKeyError, type PageArgs, pageNewestFirst } from '@shop/platform/mongo';
import { type RequestContext } from '@shop/platform/subgraph';
import type { Contact, ContactDirectory } from '../contact/contact.directory.js';
import type { DecidedEvent } from '../events.js';
import { NotificationModel, type NotificationRecord } from './notification.model.js';
import { draftsFor, type NotificationDraft } from './notification.templates.js';
import {
  type Notification,
  NotificationChannel,
  type NotificationConnection,
  NotificationStatus,
} from './notification.type.js';

/** `User.notifications` shows the newest ones only; `Query.notifications` pages through all. */
export const NOTIFICATIONS_SHOWN = 50;

/** The outbox relay, woken after each write so requests leave without waiting for its next poll. */
export interface OutboxKicker {
  kick(): void;
}

type Stored = Omit<NotificationRecord, 'pendingEvents'>;

function toNotification(record: Stored): Notification {
  return {
    id: record._id,
    channel: record.channel,
    eventType: record.eventType,
    subject: record.subject ?? null,
    body: record.body,
    orderId: record.orderId ?? null,
    status: record.status,
    sentAt: record.sentAt ?? null,
    createdAt: record.createdAt,
  };
}

/** The send request of an addressed draft: the notification's own outbox event. */
function requestFor(id: string, userId: string, draft: NotificationDraft, to: string) {
  return draft.channel === NotificationChannel.EMAIL
    ? notificationEmail.create({ userId, to, subject: draft.subject ?? '', body: draft.body, notificationId: id })
    : notificationSms.create({ userId, to, body: draft.body, notificationId: id });
}

export class NotificationService {
  constructor(
    private readonly contacts: ContactDirectory,
    private readonly outbox: OutboxKicker,
  ) {}

  /**
   * Decides an event's notifications and stores each with its send request in one insert, keyed
   * by event and template: a redelivered event (even after a crash before its ack) adds nothing.
   */
  async handle(event: DecidedEvent): Promise<void> {
    const drafts = draftsFor(event);
    if (drafts.length === 0) return;
    const { userId } = event.data;
    const contact = await this.contacts.contactOf(userId);
    for (const draft of drafts) {
      const id = `${event.id}:${draft.template}`;
      const to = addressOf(contact, draft.channel);
      try {
        await NotificationModel.create({
          _id: id,
          eventId: event.id,
          eventType: event.type,
          template: draft.template,
          userId,
          channel: draft.channel,
          to,
          subject: draft.subject,
          body: draft.body,
          orderId: draft.orderId,
          status: to ? NotificationStatus.PENDING : NotificationStatus.SKIPPED,
          lastError: to ? undefined : contact ? 'no address on file for this channel' : 'no such user',
          pendingEvents: to ? [requestFor(id, userId, draft, to)] : [],
        });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    this.outbox.kick();
  }

  /** A customer reads only their own notifications; an admin anyone's. Newest first. */
  async forUser(ctx: RequestContext, userId: string): Promise<Notification[]> {
    assertOwnerOrAdmin(ctx.principal, userId, 'User', userId);
    const records = await NotificationModel.find({ userId })
      .select('-pendingEvents')
      .sort({ createdAt: -1, _id: -1 })
      .limit(NOTIFICATIONS_SHOWN)
      .lean<Stored[]>();
    return records.map(toNotification);
  }

  /** `notifications(first, after)`: the caller's own, newest first (an admin's own too). */
  async list(ctx: RequestContext, args: PageArgs): Promise<NotificationConnection> {
    const { id: userId } = requirePrincipal(ctx.principal);
    return pageNewestFirst(NotificationModel, { userId }, args, toNotification);
  }
}

function addressOf(contact: Contact | null, channel: NotificationChannel): string | undefined {
  return channel === NotificationChannel.EMAIL ? contact?.email : contact?.phone;
}
