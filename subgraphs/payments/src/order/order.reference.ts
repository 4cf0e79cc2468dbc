import { requirePrincipal } from '@shop/platform/core';
import { type RequestContext } from '@shop/platform/subgraph';
import type { PaymentsServices } from '../services.js';
import type { Order } from './order.type.js';

/**
 * The gateway enters here only to read `Order.payment`; the order itself belongs to the orders
 * subgraph, and the payment field applies the owner-or-admin rule to what it returns.
 */
export const orderReference = {
  __resolveReference: (reference: { id: string }, ctx: RequestContext<PaymentsServices>): Order => {
    requirePrincipal(ctx.principal);
    return { id: reference.id };
  },
};
