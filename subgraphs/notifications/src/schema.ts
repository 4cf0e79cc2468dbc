import type { SubgraphDefinition } from '@shop/platform/subgraph';
import { NotificationResolver } from './notification/notification.resolver.js';
import { userReference } from './user/user.reference.js';
import { UserNotificationsResolver } from './user/user.resolver.js';
import { User } from './user/user.type.js';

export const notificationsSubgraph: SubgraphDefinition = {
  name: 'notifications',
  resolvers: [NotificationResolver, UserNotificationsResolver],
  orphanedTypes: [User],
  references: { User: userReference },
};
