import { Public, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { AuthPayload } from '../auth/auth.type.js';
import type { UsersServices } from '../services.js';
import { ResetPasswordInput } from './password-reset.type.js';

type Context = RequestContext<UsersServices>;

/** Open to anonymous callers: whoever forgot a password is signed out. */
@Resolver()
export class PasswordResetResolver {
  @Public()
  @Mutation(() => Boolean, {
    description:
      'Emails a password reset link to the account of this address, if there is one, and answers true either way. ' +
      'At most PASSWORD_RESET_LIMIT_PER_EMAIL requests per email and PASSWORD_RESET_LIMIT_PER_IP per client address in the window (TOO_MANY_REQUESTS).',
  })
  requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.passwordResets.request(ctx, email);
  }

  @Public()
  @Mutation(() => AuthPayload, {
    description:
      "Sets a new password with the token of an emailed reset link (after '#token='): once, before it expires (30 minutes by default), and only " +
      'while no later reset, password change or logoutEverywhere happened. Ends every other session, emails the account that ' +
      'its password changed, and answers a new pair. ' +
      'A link that does not work: UNAUTHENTICATED (the token is the credential, as a refresh token is).',
  })
  resetPassword(
    @Arg('input', () => ResetPasswordInput) input: ResetPasswordInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return ctx.services.passwordResets.reset(ctx, input);
  }
}
