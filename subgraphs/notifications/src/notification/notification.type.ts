import { PageInfo } from '@shop/platform/subgraph';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

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
  /** Nothing to send to: no phone number on file, or no such user. */
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

@ObjectType('NotificationEdge')
export class NotificationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Notification)
  node!: Notification;
}

@ObjectType('NotificationConnection')
export class NotificationConnection {
  @Field(() => [NotificationEdge])
  edges!: NotificationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
