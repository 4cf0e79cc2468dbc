import { DecimalScalar } from '@shop/platform/core';
import { type Attempt, attemptType, PaymentStatus } from '@shop/platform/subgraph';
import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { Order } from '../order/order.type.js';

export { PaymentStatus } from '@shop/platform/subgraph';

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

export const PaymentAttempt = attemptType(Payment, 'Payment', 'payment', {
  type: 'What processPaymentAttempt did: the payment, and whether it answered from an earlier request.',
  replayed:
    'True when this idempotency key was already used for the same request: the stored payment is returned and nothing was charged.',
});
export type PaymentAttempt = Attempt<'payment', Payment>;

@InputType('ProcessPaymentInput')
export class ProcessPaymentInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => String)
  paymentMethod!: string;

  @Field(() => String)
  idempotencyKey!: string;
}
