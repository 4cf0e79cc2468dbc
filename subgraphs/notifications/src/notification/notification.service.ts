import { assertOwnerOrAdmin, isDuplicateKeyError, type RequestContext } from '@shop/platform';
import type { Types } from 'mongoose';
import type { ConsumedEvent } from '../events.js';
import { NotificationModel, type NotificationRecord } from './notification.model.js';
import type { Notification } from './notification.type.js';
import { toNotificationMessage } from './notification-message.js';

/** `User.notifications` shows the newest ones only; paging comes with a later need. */
export const NOTIFICATIONS_SHOWN = 50;

type Stored = NotificationRecord & { _id: Types.ObjectId };

function toNotification(record: Stored): Notification {
  return {
    id: String(record._id),
    channel: record.channel,
    eventType: record.eventType,
    subject: record.subject ?? null,
    body: record.body,
    orderId: record.orderId ?? null,
    createdAt: record.createdAt,
  };
}

export class NotificationService {
  /** Records one notification per event; a redelivered event hits the unique eventId and is a no-op. */
  async record(event: ConsumedEvent): Promise<void> {
    try {
      await NotificationModel.create({ eventId: event.id, eventType: event.type, ...toNotificationMessage(event) });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** A customer reads only their own notifications; an admin anyone's. Newest first. */
  async forUser(ctx: RequestContext, userId: string): Promise<Notification[]> {
    assertOwnerOrAdmin(ctx.principal, userId);
    const records = await NotificationModel.find({ userId })
      .sort({ createdAt: -1, _id: -1 })
      .limit(NOTIFICATIONS_SHOWN)
      .lean<Stored[]>();
    return records.map(toNotification);
  }
}
