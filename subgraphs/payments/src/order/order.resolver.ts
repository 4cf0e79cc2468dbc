import type { RequestContext } from '@shop/platform/subgraph';
import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Payment } from '../payment/payment.type.js';
import type { PaymentsServices } from '../services.js';
import { Order } from './order.type.js';

type Context = RequestContext<PaymentsServices>;

@Resolver(() => Order)
export class OrderPaymentResolver {
  @Authorized()
  @FieldResolver(() => Payment, { nullable: true })
  payment(@Root() order: Order, @Ctx() ctx: Context): Promise<Payment | null> {
    return ctx.services.payments.findForOrder(ctx, order.id);
  }
}
