import { DecimalScalar } from '@shop/platform/core';
import { PageInfo } from '@shop/platform/subgraph';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { CATALOG_MAX_AGE, STOCK_MAX_AGE } from '../cache-control.js';

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

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@Directive('@cacheControl(inheritMaxAge: true)')
@ObjectType('ProductEdge')
export class ProductEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Product)
  node!: Product;
}

@Directive(`@cacheControl(maxAge: ${CATALOG_MAX_AGE})`)
@ObjectType('ProductConnection')
export class ProductConnection {
  @Field(() => [ProductEdge])
  edges!: ProductEdge[];

  // PageInfo is the platform's, shared with other subgraphs: the hint is on this field.
  @Directive('@cacheControl(inheritMaxAge: true)')
  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

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

  @Field(() => Int, { nullable: true })
  inventory?: number;

  @Field(() => [String], { nullable: true })
  images?: string[];
}
