import { maybeCacheControlFromInfo } from '@apollo/cache-control-types';
import { DEFAULT_PAGE_SIZE, Public, type RequestContext } from '@shop/platform/subgraph';
import type { GraphQLResolveInfo } from 'graphql';
import {
  Arg,
  Authorized,
  Ctx,
  Directive,
  FieldResolver,
  ID,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { STOCK_MAX_AGE } from '../cache-control.js';
import type { ProductsServices } from '../services.js';
import { MAX_OFFSET } from './product.service.js';
import { CreateProductInput, Product, ProductConnection, ProductFilter, UpdateProductInput } from './product.type.js';

type Context = RequestContext<ProductsServices>;

@Resolver(() => Product)
export class ProductResolver {
  @Public()
  @Query(() => Product, { nullable: true })
  product(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Product> {
    return ctx.services.products.findById(ctx, id);
  }

  @Public()
  @Query(() => ProductConnection)
  products(
    @Arg('filter', () => ProductFilter, { nullable: true }) filter: ProductFilter | undefined,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Arg('offset', () => Int, {
      nullable: true,
      description: `Skip this many products instead of passing \`after\` (0 to ${MAX_OFFSET}), for limit/offset callers.`,
    })
    offset: number | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ProductConnection> {
    // Which products are in stock moves with every order, as `inventory` does: cached as briefly.
    if (filter?.inStock != null) maybeCacheControlFromInfo(info)?.setCacheHint({ maxAge: STOCK_MAX_AGE });
    return ctx.services.products.list(ctx, { filter, first, after, offset });
  }

  /** Anyone may ask; each caller is answered for themselves, so no cache may share the answer. */
  @Public()
  @Directive('@cacheControl(maxAge: 0, scope: PRIVATE)')
  @FieldResolver(() => Int, {
    nullable: true,
    description:
      'How many more units of this product you may order under its purchaseLimit (0 once your orders not cancelled hold the limit); null when it has no limit or you are not signed in.',
  })
  purchaseAllowance(@Root() product: Product, @Ctx() ctx: Context): Promise<number | null> {
    return ctx.services.stock.allowance(ctx, product);
  }

  @Authorized('ADMIN')
  // A write's answer is for its caller only, whatever the hints of the types it returns.
  @Directive('@cacheControl(maxAge: 0)')
  @Mutation(() => Product)
  createProduct(
    @Arg('input', () => CreateProductInput) input: CreateProductInput,
    @Ctx() ctx: Context,
  ): Promise<Product> {
    return ctx.services.products.create(ctx, input);
  }

  @Authorized('ADMIN')
  // A write's answer is for its caller only, whatever the hints of the types it returns.
  @Directive('@cacheControl(maxAge: 0)')
  @Mutation(() => Product)
  updateProduct(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateProductInput) input: UpdateProductInput,
    @Ctx() ctx: Context,
  ): Promise<Product> {
    return ctx.services.products.update(ctx, id, input);
  }
}
