import { requirePrincipal } from '@shop/platform/core';
import { type RequestContext } from '@shop/platform/subgraph';
import type { NotificationsServices } from '../services.js';
import type { User } from './user.type.js';

/**
 * The gateway enters here only to read `User.notifications`; the user belongs to the users
 * subgraph, and the notifications field applies the owner-or-admin rule.
 */
export const userReference = {
  __resolveReference: (reference: { id: string }, ctx: RequestContext<NotificationsServices>): User => {
    requirePrincipal(ctx.principal);
    return { id: reference.id };
  },
};
