import { Public, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { UsersServices } from '../services.js';
import { ChangePasswordInput } from '../user/user.type.js';
import { AuthPayload, LoginInput, RegisterInput } from './auth.type.js';

type Context = RequestContext<UsersServices>;

/** Mostly open to anonymous callers: these are how a caller gets a token in the first place. */
@Resolver()
export class AuthResolver {
  @Public()
  @Mutation(() => AuthPayload)
  register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.register(ctx, input);
  }

  @Public()
  @Mutation(() => AuthPayload)
  login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.login(ctx, input);
  }

  @Public()
  @Mutation(() => AuthPayload)
  refreshToken(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.refresh(ctx, token);
  }

  @Public()
  @Mutation(() => Boolean)
  logout(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.auth.logout(ctx, refreshToken);
  }

  @Authorized()
  @Mutation(() => AuthPayload, {
    description:
      'Needs the current password. Ends every other session and token of the account, emails the account that its password ' +
      'changed, and answers a new pair.',
  })
  changePassword(
    @Arg('input', () => ChangePasswordInput) input: ChangePasswordInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return ctx.services.auth.changePassword(ctx, input);
  }
}
