import type { SubgraphDefinition } from '@shop/platform';
import { userReference } from './user/user.reference.js';
import { UserResolver } from './user/user.resolver.js';

export const usersSubgraph: SubgraphDefinition = {
  name: 'users',
  resolvers: [UserResolver],
  references: { User: userReference },
};
