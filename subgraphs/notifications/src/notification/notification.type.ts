import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum NotificationChannel {
  EMAIL = 'EMAIL',
  SMS = 'SMS',
}
registerEnumType(NotificationChannel, { name: 'NotificationChannel' });

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

  @Field(() => Date)
  createdAt!: Date;
}
