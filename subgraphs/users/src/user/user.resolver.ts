import type { RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, Directive, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { UsersServices } from '../services.js';
import { TokenVersion, UpdateMeInput, User, UserRole } from './user.type.js';

type Context = RequestContext<UsersServices>;

@Resolver(() => User)
export class UserResolver {
  @Authorized()
  @Query(() => User, { nullable: true })
  me(@Ctx() ctx: Context): Promise<User | null> {
    return ctx.services.users.me(ctx);
  }

  /** Self or admin (FORBIDDEN otherwise). */
  @Authorized()
  @Query(() => User, { nullable: true })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.findById(ctx, id);
  }

  @Authorized()
  @Mutation(() => User)
  updateMe(@Arg('input', () => UpdateMeInput) input: UpdateMeInput, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.updateMe(ctx, input);
  }

  @Authorized('ADMIN')
  @Mutation(() => User)
  setUserRole(
    @Arg('id', () => ID) id: string,
    @Arg('role', () => UserRole) role: UserRole,
    @Ctx() ctx: Context,
  ): Promise<User> {
    return ctx.services.users.setRole(ctx, id, role);
  }

  /** Ends every session and revokes every access token of an account: your own, or (admin) anyone's. */
  @Authorized()
  @Mutation(() => Boolean)
  logoutEverywhere(
    @Arg('userId', () => ID, { nullable: true }) userId: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.users.logoutEverywhere(ctx, userId);
  }

  /** The revocation check's source (gateway and subgraphs, with a SERVICE token); not in the public API. */
  @Authorized('SERVICE')
  @Directive('@inaccessible')
  @Query(() => [TokenVersion])
  tokenVersions(@Arg('userIds', () => [ID]) userIds: string[], @Ctx() ctx: Context): Promise<TokenVersion[]> {
    return ctx.services.users.tokenVersions(ctx, userIds);
  }
}
