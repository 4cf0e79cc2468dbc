import type { RequestContext } from '@shop/platform/subgraph';
import type { UsersServices } from '../services.js';
import type { User } from './user.type.js';

/** Other subgraphs' `User` references resolve under the same owner-or-admin rule. */
export const userReference = {
  __resolveReference: (reference: { id: string }, ctx: RequestContext<UsersServices>): Promise<User> =>
    ctx.services.users.findById(ctx, reference.id),
};
