import cluster from 'node:cluster';
import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { AppError } from '@shop/platform/core';
import { clientAddressKey } from '@shop/platform/http';
import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { type RateLimiterAbstract, RateLimiterCluster, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayContext } from './gateway-context.js';

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
 * password reset's two mutations (an email each, a hash) and verifyEmail (an anonymous link's token)
 * count as logins do, each on its own.
 * Every such field of a mutation counts, aliases included; the REST shims run
 * through here too. Refused: TOO_MANY_REQUESTS, HTTP 429 with Retry-After. The count is the
 * gateway instance's: a worker of a cluster (GATEWAY_WORKERS) asks its primary, which keeps it for
 * all of them (startGatewayCluster), rather than allowing the limit once per worker.
 */
export function authRateLimitPlugin(limits: AuthRateLimits): ApolloServerPlugin<GatewayContext> {
  const { LOGIN_LIMIT_PER_IP: loginPoints, LOGIN_LIMIT_WINDOW_SECONDS: loginWindow } = limits;
  const limiters = new Map([
    ['register', limiter(limits, 'register', limits.REGISTER_LIMIT_PER_IP, limits.REGISTER_LIMIT_WINDOW_SECONDS)],
    ['login', limiter(limits, 'login', loginPoints, loginWindow)],
    ['requestPasswordReset', limiter(limits, 'requestPasswordReset', loginPoints, loginWindow)],
    ['resetPassword', limiter(limits, 'resetPassword', loginPoints, loginWindow)],
    ['verifyEmail', limiter(limits, 'verifyEmail', loginPoints, loginWindow)],
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
            try {
              await limiter.consume(`${field} ${key}`);
            } catch (rejection) {
              if (!(rejection instanceof RateLimiterRes)) throw rejection;
              const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
              contextValue.log.info({ clientIp: contextValue.clientIp, field }, 'rate limited');
              throw new AppError('TOO_MANY_REQUESTS', `Too many ${field} requests from this address; try again later`, {
                retryAfter,
                http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
              });
            }
          }
        },
      };
    },
  };
}

function limiter(limits: AuthRateLimits, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  // A worker of another cluster manager (pm2, say) has no primary of ours to keep the count.
  return cluster.isWorker && limits.GATEWAY_WORKERS > 1
    ? new RateLimiterCluster({ keyPrefix, points, duration, timeoutMs: 3_000 })
    : new RateLimiterMemory({ keyPrefix, points, duration });
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
