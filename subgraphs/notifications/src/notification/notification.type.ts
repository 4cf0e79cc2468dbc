import { type Connection, connectionType } from '@shop/platform/subgraph';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum NotificationChannel {
  EMAIL = 'EMAIL',
  SMS = 'SMS',
}
registerEnumType(NotificationChannel, { name: 'NotificationChannel' });

/** Where a notification's delivery stands. */
export enum NotificationStatus {
  /** Waiting for its sender (or for the next try after a failure). */
  PENDING = 'PENDING',
  SENT = 'SENT',
  /** The last try failed; the event bus retries, then parks the request in a dead-letter queue. */
  FAILED = 'FAILED',
  /** Nothing to send to (no phone number on file, or no such user), or it came too late to be of use (an expired link). */
  SKIPPED = 'SKIPPED',
}
registerEnumType(NotificationStatus, { name: 'NotificationStatus' });

@ObjectType('Notification')
export class Notification {
  @Field(() => ID)
  id!: string;

  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  @Field(() => String, { description: 'The event it was made for, e.g. "order.created".' })
  eventType!: string;

  @Field(() => String, { nullable: true })
  subject!: string | null;

  @Field(() => String)
  body!: string;

  @Field(() => ID, { nullable: true })
  orderId!: string | null;

  @Field(() => NotificationStatus)
  status!: NotificationStatus;

  @Field(() => Date, { nullable: true })
  sentAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

export const NotificationConnection = connectionType(Notification, 'Notification');
export type NotificationConnection = Connection<Notification>;
