import { Public, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { UsersServices } from '../services.js';
import { RequestEmailChangeInput } from './email-verification.type.js';

type Context = RequestContext<UsersServices>;

@Resolver()
export class EmailVerificationResolver {
  /** Open to anonymous callers: the link may be opened on a device that is not signed in. */
  @Public()
  @Mutation(() => Boolean, {
    description:
      "Confirms an account's email address with the token of the link emailed to it (after '#token='): once, before it " +
      "expires (3 days by default); the link of a change (requestEmailChange) makes its address the account's. A link " +
      'that does not work: BAD_USER_INPUT on field token; an address registered since the change was asked: CONFLICT.',
  })
  verifyEmail(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.emailVerifications.verify(ctx, token);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Emails the signed-in account a new link to confirm its address (the link before stops working); false when it is ' +
      'confirmed already. TOO_MANY_REQUESTS past PASSWORD_RESET_LIMIT_PER_EMAIL links in PASSWORD_RESET_WINDOW_SECONDS.',
  })
  requestEmailVerification(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.emailVerifications.resend(ctx);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Needs the current password (counted like a login). Emails newEmail a link that makes it the account's address once " +
      'opened (verifyEmail), before it expires, unless the password changes or every device is signed out before; the ' +
      'current address is told at once and once it is done. The link before stops working. CONFLICT when newEmail ' +
      'belongs to an account; TOO_MANY_REQUESTS past PASSWORD_RESET_LIMIT_PER_EMAIL links to one address in ' +
      'PASSWORD_RESET_WINDOW_SECONDS.',
  })
  requestEmailChange(
    @Arg('input', () => RequestEmailChangeInput) input: RequestEmailChangeInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.emailVerifications.requestChange(ctx, input);
  }
}
