import type { RequestContext } from '@shop/platform';
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { PaymentsServices } from '../services.js';
import { Payment, ProcessPaymentInput } from './payment.type.js';

type Context = RequestContext<PaymentsServices>;

@Resolver(() => Payment)
export class PaymentResolver {
  @Authorized()
  @Query(() => Payment, { nullable: true })
  payment(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Payment> {
    return ctx.services.payments.findById(ctx, id);
  }

  @Authorized()
  @Mutation(() => Payment)
  processPayment(
    @Arg('input', () => ProcessPaymentInput) input: ProcessPaymentInput,
    @Ctx() ctx: Context,
  ): Promise<Payment> {
    return ctx.services.payments.processPayment(ctx, input);
  }
}
