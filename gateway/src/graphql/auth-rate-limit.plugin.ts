import type { ApolloServerPlugin } from '@apollo/server';
import { clientAddressKey } from '@shop/platform/http';
import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { GatewayContext } from './gateway-context.js';
import { instanceRateLimiter, spend } from './instance-rate-limit.js';

export interface AuthRateLimits {
  REGISTER_LIMIT_PER_IP: number;
  REGISTER_LIMIT_WINDOW_SECONDS: number;
  LOGIN_LIMIT_PER_IP: number;
  LOGIN_LIMIT_WINDOW_SECONDS: number;
  /** More than 1: this process may be a worker of the gateway's own cluster (main.ts). */
  GATEWAY_WORKERS: number;
}

/**
 * Registration and login per client address at the edge (rate-limiter-flexible): each costs an
 * argon2 hash (19 MiB) in the users subgraph, so a flood is refused here before it reaches it. The
 * password reset's two mutations (an email each, a hash), verifyEmail (an anonymous link's token)
 * and changePassword (two hashes and an email) count as logins do, each on its own.
 * Every such field of a mutation counts, aliases included; the REST shims run
 * through here too. Refused: TOO_MANY_REQUESTS, HTTP 429 with Retry-After. The count is the
 * gateway instance's, its cluster's workers included (instanceRateLimiter).
 */
export function authRateLimitPlugin(limits: AuthRateLimits): ApolloServerPlugin<GatewayContext> {
  const { LOGIN_LIMIT_PER_IP: loginPoints, LOGIN_LIMIT_WINDOW_SECONDS: loginWindow } = limits;
  const limiter = (field: string, points: number, seconds: number) =>
    [field, instanceRateLimiter(limits.GATEWAY_WORKERS, field, points, seconds)] as const;
  const limiters = new Map([
    limiter('register', limits.REGISTER_LIMIT_PER_IP, limits.REGISTER_LIMIT_WINDOW_SECONDS),
    limiter('login', loginPoints, loginWindow),
    limiter('requestPasswordReset', loginPoints, loginWindow),
    limiter('resetPassword', loginPoints, loginWindow),
    limiter('verifyEmail', loginPoints, loginWindow),
    limiter('changePassword', loginPoints, loginWindow),
  ]);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const fragments = new Map(
            document.definitions
              .filter(
                (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
              )
              .map((fragment) => [fragment.name.value, fragment]),
          );
          const key = clientAddressKey(contextValue.clientIp ?? 'unknown');
          for (const field of rootFields(operation, fragments)) {
            const limiter = limiters.get(field);
            if (!limiter) continue;
            const message = `Too many ${field} requests from this address; try again later`;
            const { refusal } = await spend(limiter, `${field} ${key}`, 1, message);
            if (refusal) {
              contextValue.log.info({ clientIp: contextValue.clientIp, field }, 'rate limited');
              throw refusal;
            }
          }
        },
      };
    },
  };
}

/** Names of the operation's root fields, through inline fragments and fragment spreads. */
function rootFields(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}
