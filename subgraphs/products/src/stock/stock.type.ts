import { DecimalScalar } from '@shop/platform/core';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';

// Internal to the orders subgraph: @inaccessible keeps these out of the public supergraph API.

@Directive('@inaccessible')
@InputType('StockItemInput')
export class StockItemInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int)
  quantity!: number;
}

@Directive('@inaccessible')
@ObjectType('ReservedItem')
export class ReservedItem {
  @Field(() => ID)
  productId!: string;

  @Field(() => Int)
  quantity!: number;

  /** The product's price when the stock was reserved: the price the order captures. */
  @Field(() => DecimalScalar)
  unitPrice!: string;
}
