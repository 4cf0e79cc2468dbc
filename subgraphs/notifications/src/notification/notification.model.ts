import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { NotificationChannel, NotificationStatus } from './notification.type.js';

/**
 * One message to one person on one channel, with its delivery's state. Its send request is published
 * by the decider before it acks its event (NotificationService.handle), so it needs no outbox.
 */
@index({ userId: 1, createdAt: -1, _id: -1 })
@modelOptions({ schemaOptions: { collection: 'notifications', timestamps: true } })
export class NotificationRecord {
  /**
   * `<event id>:<template>` for the ones decided here, the request's event id for a
   * notification.email/sms from another producer: a redelivered event can never make a second one.
   */
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  eventId!: string;

  @prop({ required: true, type: () => String })
  eventType!: string;

  @prop({ required: true, type: () => String })
  template!: string;

  @prop({ required: true, type: () => String })
  userId!: string;

  @prop({ required: true, enum: NotificationChannel, type: () => String })
  channel!: NotificationChannel;

  /** Email address or phone number; absent when there was none to send to. */
  @prop({ type: () => String })
  to?: string;

  @prop({ type: () => String })
  subject?: string;

  @prop({ required: true, type: () => String })
  body!: string;

  @prop({ type: () => String })
  orderId?: string;

  @prop({ required: true, enum: NotificationStatus, type: () => String })
  status!: NotificationStatus;

  /** Delivery tries made (by the email or SMS sender). */
  @prop({ required: true, type: () => Number, default: 0 })
  attempts!: number;

  @prop({ type: () => String })
  lastError?: string;

  @prop({ type: () => Date })
  sentAt?: Date;

  /** The SMTP Message-ID or the SMS provider's id. */
  @prop({ type: () => String })
  providerMessageId?: string;

  createdAt!: Date;
  updatedAt!: Date;
}

export const NotificationModel = getModelForClass(NotificationRecord);
