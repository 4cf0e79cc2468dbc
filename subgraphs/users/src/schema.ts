import type { SubgraphDefinition } from '@shop/platform/subgraph';
import { AuthResolver } from './auth/auth.resolver.js';
import { userReference } from './user/user.reference.js';
import { UserResolver } from './user/user.resolver.js';

export const usersSubgraph: SubgraphDefinition = {
  name: 'users',
  resolvers: [UserResolver, AuthResolver],
  references: { User: userReference },
};
