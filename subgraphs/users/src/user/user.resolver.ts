import type { RequestContext } from '@shop/platform';
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { UsersServices } from '../services.js';
import { AuthPayload, LoginInput, RegisterInput, User } from './user.type.js';

type Context = RequestContext<UsersServices>;

@Resolver(() => User)
export class UserResolver {
  @Authorized()
  @Query(() => User, { nullable: true })
  me(@Ctx() ctx: Context): Promise<User | null> {
    return ctx.services.users.me(ctx);
  }

  @Authorized()
  @Query(() => User, { nullable: true })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.findById(ctx, id);
  }

  @Mutation(() => AuthPayload)
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.users.register(ctx, input);
  }

  @Mutation(() => AuthPayload)
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.users.login(ctx, input);
  }
}
