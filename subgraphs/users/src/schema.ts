import type { SubgraphDefinition } from '@shop/platform/subgraph';
import { AccountDeletionResolver } from './account-deletion/account-deletion.resolver.js';
import { AuthResolver } from './auth/auth.resolver.js';
import { EmailVerificationResolver } from './email-verification/email-verification.resolver.js';
import { PasswordResetResolver } from './password-reset/password-reset.resolver.js';
import { userReference } from './user/user.reference.js';
import { UserResolver } from './user/user.resolver.js';

export const usersSubgraph: SubgraphDefinition = {
  name: 'users',
  resolvers: [UserResolver, AuthResolver, PasswordResetResolver, EmailVerificationResolver, AccountDeletionResolver],
  references: { User: userReference },
};
