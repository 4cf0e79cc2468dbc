import type { SubgraphDefinition } from '@shop/platform';
import { userReference } from './user/user.reference.js';
import { UserNotificationsResolver } from './user/user.resolver.js';
import { User } from './user/user.type.js';

export const notificationsSubgraph: SubgraphDefinition = {
  name: 'notifications',
  resolvers: [UserNotificationsResolver],
  // No root field reaches User here; the gateway enters it through `_entities`.
  orphanedTypes: [User],
  references: { User: userReference },
};
