import type { RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, Directive, ID, Mutation, Resolver } from 'type-graphql';
import type { ProductsServices } from '../services.js';
import { ReservedItem, StockItemInput } from './stock.type.js';

type Context = RequestContext<ProductsServices>;

/** Called by the orders subgraph with a SERVICE token; never part of the public API. */
@Resolver()
export class StockResolver {
  @Authorized('SERVICE')
  @Directive('@inaccessible')
  @Mutation(() => [ReservedItem], {
    description: 'All or nothing; retrying with the same orderId returns the first reservation.',
  })
  reserveStock(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('items', () => [StockItemInput]) items: StockItemInput[],
    @Arg('customerId', () => ID, {
      nullable: true,
      description:
        "The order's customer: refused (CONFLICT, extensions.reason UNPAID_ORDERS_LIMIT) while that customer's unpaid orders hold the limit, or (PURCHASE_LIMIT) past a product's purchaseLimit.",
    })
    customerId: string | null,
    @Ctx() ctx: Context,
  ): Promise<ReservedItem[]> {
    return ctx.services.stock.reserve(ctx, orderId, items, customerId);
  }

  @Authorized('SERVICE')
  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      'Restores the reserved stock once; false when the order has no reservation. Later reservations of the order are refused.',
  })
  releaseStock(
    @Arg('orderId', () => ID) orderId: string,
    @Arg('unlessConfirmed', () => Boolean, {
      defaultValue: false,
      description:
        'Keep a reservation its order confirmed (CONFLICT, extensions.reason confirmed): the release of a create that failed.',
    })
    unlessConfirmed: boolean,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.stock.release(ctx, orderId, { unlessConfirmed });
  }

  @Authorized('SERVICE')
  @Directive('@inaccessible')
  @Mutation(() => Boolean, {
    description:
      'The order is stored: its reservation is held until released, never expired. Idempotent; CONFLICT (extensions.reason expired, released or not-reserved) when the stock is no longer held.',
  })
  confirmStock(@Arg('orderId', () => ID) orderId: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.stock.confirm(ctx, orderId);
  }
}
