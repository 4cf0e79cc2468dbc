import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { NotificationChannel } from './notification.type.js';

/** Delivery (SMTP, SMS) comes later; for now a notification is only recorded. */
export const RECORDED = 'RECORDED';

@index({ userId: 1, createdAt: -1 })
@modelOptions({ schemaOptions: { collection: 'notifications', timestamps: { createdAt: true, updatedAt: false } } })
export class NotificationRecord {
  /** The envelope id; unique, so a redelivered event cannot make a second record. */
  @prop({ required: true, unique: true, type: () => String })
  eventId!: string;

  @prop({ required: true, type: () => String })
  userId!: string;

  @prop({ required: true, enum: NotificationChannel, type: () => String })
  channel!: NotificationChannel;

  @prop({ required: true, type: () => String })
  eventType!: string;

  @prop({ type: () => String })
  subject?: string;

  @prop({ required: true, type: () => String })
  body!: string;

  @prop({ type: () => String })
  orderId?: string;

  @prop({ required: true, enum: [RECORDED], type: () => String, default: RECORDED })
  status!: typeof RECORDED;

  createdAt!: Date;
}

export const NotificationModel = getModelForClass(NotificationRecord);
