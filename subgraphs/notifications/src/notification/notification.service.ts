import { namedEventId, notificationEmail, notificationSms } from '@shop/events';
import { assertOwnerOrAdmin, countParkedEvents, hourOf, requestScoped, requirePrincipal } from '@shop/platform/core';
import {
  findAnyOf,
  isDuplicateKeyError,
  type Outbox,
  type PageArgs,
  pageNewestFirst,
  writtenFirst,
} from '@shop/platform/mongo';
import { type RequestContext } from '@shop/platform/subgraph';
import DataLoader from 'dataloader';
import { ACCOUNT_DELETED, type Contact, type ContactDirectory } from '../contact/contact.directory.js';
import type { DecidedEvent } from '../events.js';
import { ForgottenAccountModel } from './forgotten-account.model.js';
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

/**
 * The send request of an addressed draft, carrying all its notification is made of (the sender
 * writes it once, with its delivery's state). Its id follows from the notification's, so a repeat
 * is the same request.
 */
function requestFor(id: string, event: DecidedEvent, draft: NotificationDraft, to: string) {
  const { userId } = event.data;
  const about = {
    notificationId: id,
    orderId: draft.orderId,
    decidedFrom: { eventId: event.id, eventType: event.type, template: draft.template },
  };
  const request =
    draft.channel === NotificationChannel.EMAIL
      ? notificationEmail.create({ userId, to, subject: draft.subject ?? '', body: draft.body, ...about })
      : notificationSms.create({ userId, to, body: draft.body, ...about });
  return { ...request, id: namedEventId(`notification-request:${id}`) };
}

/** An insertMany refused only because some documents exist already (a repeated decision). */
const onlyDuplicates = (error: unknown) =>
  isDuplicateKeyError(error) ||
  ((error as { writeErrors?: { code?: number }[] }).writeErrors?.every((write) => write.code === 11000) ?? false);

/**
 * Per request: each user's newest notifications read once, however many references ask (a page of
 * one customer's orders, each with `user { notifications }`); one query per user, which no `$in`
 * can serve with a limit per user.
 */
const shownByUser = requestScoped(
  (_ctx: object) =>
    new DataLoader<string, Notification[]>((userIds) =>
      Promise.all(
        userIds.map(async (userId) =>
          (
            await NotificationModel.find({ userId })
              .sort({ createdAt: -1, _id: -1 })
              .limit(NOTIFICATIONS_SHOWN)
              .lean<Stored[]>()
          ).map(toNotification),
        ),
      ),
    ),
);

export class NotificationService {
  constructor(
    private readonly contacts: ContactDirectory,
    private readonly outbox: Pick<Outbox, 'publishNow'>,
  ) {
    // Its requests, published without an outbox to sweep, are parked when unroutable: counted from
    // 0, so the first one is an increase an alert sees (the relays do this for their outboxes).
    countParkedEvents(NotificationModel.collection.name, 0);
  }

  /**
   * Decides an event's notifications and publishes their send requests before the event is acked;
   * the senders write each notification once, with its delivery's state. One with nowhere to go is
   * written here, SKIPPED (keyed by event and template, so a redelivered event adds nothing). A
   * crash before the ack redelivers the event, which decides again and publishes the same requests
   * under the same ids (the senders deliver each once): the requests need no outbox of their own.
   * A deleted account gets nothing, not even a record (its unpaid orders' cancellations, say).
   */
  async handle(event: DecidedEvent): Promise<void> {
    const drafts = draftsFor(event);
    if (drafts.length === 0) return;
    const { userId } = event.data;
    const contact = await this.contacts.contactOf(userId);
    if (contact === ACCOUNT_DELETED) return;
    const skipped = [];
    const requests = [];
    for (const draft of drafts) {
      const id = `${event.id}:${draft.template}`;
      const to = addressOf(contact, draft.channel);
      if (to) {
        requests.push({ id, request: requestFor(id, event, draft, to) });
        continue;
      }
      skipped.push({
        _id: id,
        eventId: event.id,
        eventType: event.type,
        template: draft.template,
        userId,
        channel: draft.channel,
        subject: draft.subject,
        body: draft.body,
        orderId: draft.orderId,
        status: NotificationStatus.SKIPPED,
        lastError: contact ? 'no address on file for this channel' : 'no such user',
      });
    }
    if (skipped.length > 0) {
      try {
        await NotificationModel.insertMany(skipped, { ordered: false });
      } catch (error) {
        if (!onlyDuplicates(error)) throw error;
      }
    }
    for (const { id, request } of requests) await this.outbox.publishNow(NotificationModel, id, [request]);
  }

  /**
   * A deleted account (`user.deleted`): its notifications go, with the addresses and bodies they
   * kept; redelivered, it finds nothing more. The account is remembered as forgotten first, so a
   * send in flight that records its notification after this is caught by `forgetRecentAgain`, and
   * one retried or replayed later is dropped unsent (DeliveryService).
   */
  async forgetUser(userId: string, now = new Date()): Promise<number> {
    await writtenFirst(() =>
      ForgottenAccountModel.create({ _id: userId, forgottenAt: now, forgottenHour: hourOf(now) }),
    );
    this.contacts.markDeleted(userId);
    const { deletedCount } = await NotificationModel.deleteMany({ userId });
    return deletedCount;
  }

  /**
   * The periodic pass after `forgetUser`: the accounts forgotten this hour and the hour before lose
   * what sends in flight at their deletion recorded since (a send takes well under a minute, and each
   * later try asks for the deletion first). Two equality reads, whatever the number of accounts ever
   * forgotten.
   */
  async forgetRecentAgain(now = new Date()): Promise<number> {
    const hour = hourOf(now);
    const recent = await findAnyOf([hour - 1, hour], (forgottenHour) =>
      ForgottenAccountModel.find({ forgottenHour }).select('_id').lean<{ _id: string }[]>(),
    );
    let deleted = 0;
    for (const { _id: userId } of recent) deleted += (await NotificationModel.deleteMany({ userId })).deletedCount;
    return deleted;
  }

  /** A customer reads only their own notifications; an admin anyone's. Newest first. */
  async forUser(ctx: RequestContext, userId: string): Promise<Notification[]> {
    assertOwnerOrAdmin(ctx.principal, userId, 'User', userId);
    return shownByUser(ctx).load(userId);
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
