import { DEFAULT_PAGE_SIZE, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { OrdersServices } from '../services.js';
import { CreateOrderInput, Order, OrderAttempt, OrderConnection, OrderStatus } from './order.type.js';

type Context = RequestContext<OrdersServices>;

const PLACE_ORDER =
  'Reserves the stock and captures the prices. INSUFFICIENT_STOCK when stock is short; CONFLICT with extensions.reason UNPAID_ORDERS_LIMIT (and limit) while the caller holds that many unpaid orders: pay for or cancel one first; CONFLICT with extensions.reason PURCHASE_LIMIT (and productId, limit, held) when the orders of the caller not cancelled would hold more of a product than its purchaseLimit.';

@Resolver(() => Order)
export class OrderResolver {
  @Authorized()
  @Query(() => Order, { nullable: true })
  order(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Order> {
    return ctx.services.orders.findById(ctx, id);
  }

  @Authorized()
  @Query(() => OrderConnection)
  orders(
    @Arg('status', () => OrderStatus, { nullable: true }) status: OrderStatus | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<OrderConnection> {
    return ctx.services.orders.list(ctx, { status, first, after });
  }

  @Authorized()
  @Mutation(() => Order, { description: PLACE_ORDER })
  createOrder(@Arg('input', () => CreateOrderInput) input: CreateOrderInput, @Ctx() ctx: Context): Promise<Order> {
    return ctx.services.orders.create(ctx, input);
  }

  /** createOrder that also says whether it was an idempotent replay (the REST shim's 200 vs 201). */
  @Authorized()
  @Mutation(() => OrderAttempt, { description: PLACE_ORDER })
  createOrderAttempt(
    @Arg('input', () => CreateOrderInput) input: CreateOrderInput,
    @Ctx() ctx: Context,
  ): Promise<OrderAttempt> {
    return ctx.services.orders.attempt(ctx, input);
  }

  @Authorized()
  @Mutation(() => Order)
  updateOrderStatus(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => OrderStatus) status: OrderStatus,
    @Ctx() ctx: Context,
  ): Promise<Order> {
    return ctx.services.orders.updateStatus(ctx, id, status);
  }

  @Authorized()
  @FieldResolver(() => Date, {
    description:
      'The last moment a payment for this order is accepted: placed + ORDER_PAYMENT_TIMEOUT. An order still unpaid is then cancelled, once payments started in time have had ORDER_PAYMENT_GRACE to settle.',
  })
  payableUntil(@Root() order: Order, @Ctx() ctx: Context): Date {
    return ctx.services.orders.payableUntil(order);
  }
}
