import { Public, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { AuthPayload } from '../auth/auth.type.js';
import type { UsersServices } from '../services.js';
import { ResetPasswordInput } from './password-reset.type.js';

type Context = RequestContext<UsersServices>;

/** Open to anonymous callers: whoever forgot a password is signed out. */
@Resolver()
export class PasswordResetResolver {
  /** Emails a reset link to the account of this address, if there is one; true either way. */
  @Public()
  @Mutation(() => Boolean)
  requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.passwordResets.request(ctx, email);
  }

  /** A new password from an emailed link's token (once, before it expires); ends every other session, answers a new pair. */
  @Public()
  @Mutation(() => AuthPayload)
  resetPassword(
    @Arg('input', () => ResetPasswordInput) input: ResetPasswordInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return ctx.services.passwordResets.reset(ctx, input);
  }
}
