import { namedEventId, notificationEmail, notificationSms } from '@shop/events';
import {
  assertOwnerOrAdmin,
  isDuplicateKeyError,
  type Outbox,
  type PageArgs,
  pageNewestFirst,
  type RequestContext,
  requirePrincipal,
} from '@shop/platform';
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

type Stored = NotificationRecord;

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

/** The send request of an addressed draft; its id follows from the notification's, so a repeat is the same request. */
function requestFor(id: string, userId: string, draft: NotificationDraft, to: string) {
  const request =
    draft.channel === NotificationChannel.EMAIL
      ? notificationEmail.create({ userId, to, subject: draft.subject ?? '', body: draft.body, notificationId: id })
      : notificationSms.create({ userId, to, body: draft.body, notificationId: id });
  return { ...request, id: namedEventId(`notification-request:${id}`) };
}

/** An insertMany refused only because some documents exist already (a repeated decision). */
const onlyDuplicates = (error: unknown) =>
  isDuplicateKeyError(error) ||
  ((error as { writeErrors?: { code?: number }[] }).writeErrors?.every((write) => write.code === 11000) ?? false);

export class NotificationService {
  constructor(
    private readonly contacts: ContactDirectory,
    private readonly outbox: Pick<Outbox, 'publishNow'>,
  ) {}

  /**
   * Decides an event's notifications, stores them in one insert (keyed by event and template, so a
   * redelivered event adds nothing) and publishes their send requests before the event is acked.
   * A crash in between redelivers the event, which decides again and publishes the same requests
   * under the same ids (the senders deliver each once): the requests need no outbox of their own.
   */
  async handle(event: DecidedEvent): Promise<void> {
    const drafts = draftsFor(event);
    if (drafts.length === 0) return;
    const { userId } = event.data;
    const contact = await this.contacts.contactOf(userId);
    const records = drafts.map((draft) => {
      const to = addressOf(contact, draft.channel);
      return {
        _id: `${event.id}:${draft.template}`,
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
        request: to ? requestFor(`${event.id}:${draft.template}`, userId, draft, to) : undefined,
      };
    });
    try {
      await NotificationModel.insertMany(
        records.map(({ request: _request, ...record }) => record),
        { ordered: false },
      );
    } catch (error) {
      if (!onlyDuplicates(error)) throw error;
    }
    for (const { _id, request } of records) {
      if (request) await this.outbox.publishNow(NotificationModel, _id, [request]);
    }
  }

  /** A customer reads only their own notifications; an admin anyone's. Newest first. */
  async forUser(ctx: RequestContext, userId: string): Promise<Notification[]> {
    assertOwnerOrAdmin(ctx.principal, userId, 'User', userId);
    const records = await NotificationModel.find({ userId })
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
