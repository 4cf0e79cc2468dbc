import { DecimalScalar } from '@shop/platform';
import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Order } from '../order/order.type.js';

export enum PaymentStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  REFUNDED = 'REFUNDED',
}
registerEnumType(PaymentStatus, { name: 'PaymentStatus' });

@Directive('@key(fields: "id")')
@ObjectType('Payment')
export class Payment {
  @Field(() => ID)
  id!: string;

  @Field(() => Order)
  order!: Order;

  @Field(() => DecimalScalar)
  amount!: string;

  @Field(() => String)
  paymentMethod!: string;

  @Field(() => PaymentStatus)
  status!: PaymentStatus;

  @Field(() => String, { nullable: true })
  transactionId!: string | null;

  @Field(() => String, { nullable: true })
  failureReason!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@InputType('ProcessPaymentInput')
export class ProcessPaymentInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => String)
  paymentMethod!: string;

  @Field(() => String)
  idempotencyKey!: string;
}
