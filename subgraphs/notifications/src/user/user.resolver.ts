import type { RequestContext } from '@shop/platform/subgraph';
import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Notification } from '../notification/notification.type.js';
import type { NotificationsServices } from '../services.js';
import { User } from './user.type.js';

type Context = RequestContext<NotificationsServices>;

@Resolver(() => User)
export class UserNotificationsResolver {
  @Authorized()
  @FieldResolver(() => [Notification])
  notifications(@Root() user: User, @Ctx() ctx: Context): Promise<Notification[]> {
    return ctx.services.notifications.forUser(ctx, user.id);
  }
}
