import { DEFAULT_PAGE_SIZE, type RequestContext } from '@shop/platform/subgraph';
import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { NotificationsServices } from '../services.js';
import { Notification, NotificationConnection } from './notification.type.js';

type Context = RequestContext<NotificationsServices>;

@Resolver(() => Notification)
export class NotificationResolver {
  @Authorized()
  @Query(() => NotificationConnection, { description: "The caller's own notifications, newest first." })
  notifications(
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<NotificationConnection> {
    return ctx.services.notifications.list(ctx, { first, after });
  }
}
