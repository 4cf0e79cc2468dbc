import type { RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { UsersServices } from '../services.js';

type Context = RequestContext<UsersServices>;

@Resolver()
export class AccountDeletionResolver {
  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Deletes the signed-in customer's account, after the current password (counted like a login): its address, names, " +
      'phone and password are erased, every token and session ends, and the address may register again. Orders and ' +
      'payments stay, naming the anonymous account. CONFLICT for an admin (another admin makes it a customer first).',
  })
  deleteMe(@Arg('currentPassword', () => String) currentPassword: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accountDeletions.deleteMe(ctx, currentPassword);
  }
}
