import type { RequestContext } from '@shop/platform/subgraph';
import type { OrdersServices } from '../services.js';
import type { Order } from './order.type.js';

/** Other subgraphs' `Order` references (payments, the gateway's subscriptions) obey owner-or-admin too. */
export const orderReference = {
  __resolveReference: (reference: { id: string }, ctx: RequestContext<OrdersServices>): Promise<Order> =>
    ctx.services.orders.findById(ctx, reference.id),
};
