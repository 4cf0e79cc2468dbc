import type { RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
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

  @Authorized('ADMIN')
  @Mutation(() => Boolean, {
    description:
      "Admins: deletes a customer's account as deleteMe does (a support or privacy request); true also when it was " +
      'deleted already. NOT_FOUND for an unknown id; CONFLICT for an admin account.',
  })
  deleteUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accountDeletions.deleteUser(ctx, id);
  }
}
