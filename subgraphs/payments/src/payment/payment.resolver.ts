import type { RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { PaymentsServices } from '../services.js';
import { Payment, PaymentAttempt, ProcessPaymentInput } from './payment.type.js';

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

  /** processPayment that also says whether it was an idempotent replay (the REST shim's 200 vs 201). */
  @Authorized()
  @Mutation(() => PaymentAttempt)
  processPaymentAttempt(
    @Arg('input', () => ProcessPaymentInput) input: ProcessPaymentInput,
    @Ctx() ctx: Context,
  ): Promise<PaymentAttempt> {
    return ctx.services.payments.attempt(ctx, input);
  }
}
