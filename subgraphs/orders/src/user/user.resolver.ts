import { DEFAULT_PAGE_SIZE, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { OrderConnection } from '../order/order.type.js';
import type { OrdersServices } from '../services.js';
import { User } from './user.type.js';

type Context = RequestContext<OrdersServices>;

/** Contributes `User.orders` to the users subgraph's entity. */
@Resolver(() => User)
export class UserOrdersResolver {
  @Authorized()
  @FieldResolver(() => OrderConnection)
  orders(
    @Root() user: User,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<OrderConnection> {
    return ctx.services.orders.listForUser(ctx, user.id, { first, after });
  }
}
