import { DecimalScalar } from '@shop/platform/core';
import { type Connection, connectionType } from '@shop/platform/subgraph';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { CATALOG_MAX_AGE, STOCK_MAX_AGE } from '../cache-control.js';

const PURCHASE_LIMIT =
  'The most units of this product one customer may have in orders not cancelled, paid or awaiting payment (null: no limit). An order past it is refused: CONFLICT, extensions.reason PURCHASE_LIMIT.';

@Directive('@key(fields: "id")')
@Directive(`@cacheControl(maxAge: ${CATALOG_MAX_AGE})`)
@ObjectType('Product')
export class Product {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => DecimalScalar)
  price!: string;

  @Field(() => String)
  category!: string;

  @Directive(`@cacheControl(maxAge: ${STOCK_MAX_AGE})`)
  @Field(() => Int)
  inventory!: number;

  @Field(() => [String])
  images!: string[];

  @Field(() => Int, { nullable: true, description: PURCHASE_LIMIT })
  purchaseLimit!: number | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const ProductConnection = connectionType(Product, 'Product', {
  edge: '@cacheControl(inheritMaxAge: true)',
  connection: `@cacheControl(maxAge: ${CATALOG_MAX_AGE})`,
  // PageInfo is the platform's, shared with other subgraphs: the hint is on this field.
  pageInfo: '@cacheControl(inheritMaxAge: true)',
});
export type ProductConnection = Connection<Product>;

@InputType('ProductFilter')
export class ProductFilter {
  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => DecimalScalar, { nullable: true })
  minPrice?: string;

  @Field(() => DecimalScalar, { nullable: true })
  maxPrice?: string;

  @Field(() => String, { nullable: true })
  search?: string;

  @Field(() => Boolean, { nullable: true })
  inStock?: boolean;
}

@InputType('CreateProductInput')
export class CreateProductInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { defaultValue: '' })
  description!: string;

  @Field(() => DecimalScalar)
  price!: string;

  @Field(() => String)
  category!: string;

  @Field(() => Int, { defaultValue: 0 })
  inventory!: number;

  @Field(() => [String], { defaultValue: [] })
  images!: string[];

  @Field(() => Int, { nullable: true, description: PURCHASE_LIMIT })
  purchaseLimit?: number | null;
}

/** Partial update: only the fields given change. */
@InputType('UpdateProductInput')
export class UpdateProductInput {
  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => DecimalScalar, { nullable: true })
  price?: string;

  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => Int, { nullable: true, description: 'The stock, set to this count.' })
  inventory?: number;

  @Field(() => [String], { nullable: true })
  images?: string[];

  @Field(() => Int, { nullable: true, description: `${PURCHASE_LIMIT} Null removes the limit; absent leaves it.` })
  purchaseLimit?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'With inventory: set it only if the stock is still this count (else CONFLICT, with the current count), so reservations made since it was read are not overwritten.',
  })
  expectedInventory?: number;

  @Field(() => Int, {
    nullable: true,
    description:
      'Instead of inventory: add this many to the stock (negative to take away) in one atomic step. CONFLICT if the stock would go below 0.',
  })
  inventoryChange?: number;
}
