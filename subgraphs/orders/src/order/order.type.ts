import { DecimalScalar } from '@shop/platform/core';
import { OrderStatus, PageInfo, PaymentStatus } from '@shop/platform/subgraph';
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

@ObjectType('OrderEdge')
export class OrderEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Order)
  node!: Order;
}

@ObjectType('OrderConnection')
export class OrderConnection {
  @Field(() => [OrderEdge])
  edges!: OrderEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

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
}
