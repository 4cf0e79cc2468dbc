import { DecimalScalar } from '@shop/platform/core';
import {
  type Attempt,
  attemptType,
  type Connection,
  connectionType,
  OrderStatus,
  PaymentStatus,
} from '@shop/platform/subgraph';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Product } from '../product/product.type.js';
import { User } from '../user/user.type.js';

export { OrderStatus, PaymentStatus } from '@shop/platform/subgraph';

/** One class for the output type and its input twin: the fields are the same. */
@ObjectType('ShippingAddress')
@InputType('ShippingAddressInput')
export class ShippingAddress {
  @Field(() => String)
  street!: string;

  @Field(() => String)
  city!: string;

  @Field(() => String)
  state!: string;

  @Field(() => String)
  zipCode!: string;

  @Field(() => String)
  country!: string;
}

@ObjectType('OrderItem')
export class OrderItem {
  @Field(() => Product)
  product!: Product;

  @Field(() => Int)
  quantity!: number;

  @Field(() => DecimalScalar, { description: 'Unit price captured when the order was placed.' })
  price!: string;
}

@Directive('@key(fields: "id")')
@ObjectType('Order')
export class Order {
  @Field(() => ID)
  id!: string;

  @Field(() => User)
  user!: User;

  @Field(() => [OrderItem])
  items!: OrderItem[];

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => DecimalScalar)
  totalAmount!: string;

  @Field(() => ShippingAddress)
  shippingAddress!: ShippingAddress;

  @Field(() => PaymentStatus)
  paymentStatus!: PaymentStatus;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const OrderConnection = connectionType(Order, 'Order');
export type OrderConnection = Connection<Order>;

@InputType('OrderItemInput')
export class OrderItemInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int)
  quantity!: number;
}

@InputType('CreateOrderInput')
export class CreateOrderInput {
  @Field(() => [OrderItemInput])
  items!: OrderItemInput[];

  @Field(() => ShippingAddress)
  shippingAddress!: ShippingAddress;

  @Field(() => String, {
    nullable: true,
    description:
      'Sent again with the same input, returns the order the first request placed: nothing is reserved or ordered twice. A different input with a used key is CONFLICT; so is a key whose first request is still running (reason IDEMPOTENCY_KEY_IN_USE).',
  })
  idempotencyKey?: string | null;
}

export const OrderAttempt = attemptType(Order, 'Order', 'order', {
  type: 'What createOrderAttempt did: the order, and whether it answered from an earlier request.',
  replayed:
    'True when this idempotency key already placed an order for the same input: that order is returned and nothing was reserved.',
});
export type OrderAttempt = Attempt<'order', Order>;
