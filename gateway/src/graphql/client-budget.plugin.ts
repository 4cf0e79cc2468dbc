import type { ApolloServerPlugin } from '@apollo/server';
import { ConfigError } from '@shop/platform/core';
import type { GraphqlLimits } from '@shop/platform/http';
import type { GatewayContext } from './gateway-context.js';
import { instanceRateLimiter, spend } from './instance-rate-limit.js';

export interface ClientBudgetSettings {
  CLIENT_COST_BUDGET: number;
  /** Milliseconds. */
  CLIENT_COST_WINDOW: number;
  GRAPHQL_MAX_COST: number;
  GATEWAY_WORKERS: number;
}

/**
 * Every client request spends its operation's cost (the cost limit's count) from the client's
 * budget, CLIENT_COST_BUDGET points per CLIENT_COST_WINDOW, as GitHub's and Shopify's GraphQL APIs
 * limit by cost rather than by requests: one costly operation spends what many cheap ones do, so
 * no client fills the subgraphs' connection pools for everyone. A signed-in client is counted by
 * account, an anonymous one by address (`budget`). Over budget: TOO_MANY_REQUESTS, HTTP 429
 * with Retry-After, before any subgraph is asked. An operation the limits refuse spends nothing:
 * the validation limits end a request before this hook, and an operation over the cost limit is
 * skipped here (Apollo runs every plugin's didResolveOperation at once, the cost limit's beside
 * this one). Each answer tells what is left in `RateLimit` headers (REST's too). The
 * count is the gateway instance's (instanceRateLimiter).
 */
export function clientBudgetPlugin(
  settings: ClientBudgetSettings,
  cost: GraphqlLimits['cost'],
): ApolloServerPlugin<GatewayContext> {
  if (settings.CLIENT_COST_BUDGET === 0) return {};
  if (settings.CLIENT_COST_BUDGET < settings.GRAPHQL_MAX_COST) {
    throw new ConfigError(['CLIENT_COST_BUDGET: must be 0 (off) or at least GRAPHQL_MAX_COST']);
  }
  const windowSeconds = Math.ceil(settings.CLIENT_COST_WINDOW / 1000);
  const limiter = instanceRateLimiter(settings.GATEWAY_WORKERS, 'cost', settings.CLIENT_COST_BUDGET, windowSeconds);
  // The IETF's RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): the quota and window, then what is left.
  const policy = `"cost";q=${settings.CLIENT_COST_BUDGET};w=${windowSeconds}`;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName, contextValue }) {
          const { budget } = contextValue;
          if (!budget) return;
          const points = cost(schema, document, request.variables, operationName);
          // Uncountable or too costly: the cost limit refuses it. Unfit variables are refused at execution.
          if (typeof points !== 'number' || points > settings.GRAPHQL_MAX_COST) return;
          const price = Math.max(1, Math.ceil(points), Math.ceil(budget.atLeast ?? 0));
          const message = 'Too many costly requests from this client; try again later';
          const spent = await spend(limiter, budget.key, price, message);
          budget.headers['ratelimit-policy'] = policy;
          budget.headers.ratelimit = `"cost";r=${spent.left};t=${spent.resetSeconds}`;
          if (spent.refusal) {
            contextValue.log.info({ clientIp: contextValue.clientIp, cost: price }, 'over cost budget');
            throw spent.refusal;
          }
        },
        async willSendResponse({ response, contextValue }) {
          for (const [name, value] of Object.entries(contextValue.budget?.headers ?? {})) {
            response.http.headers.set(name, value);
          }
        },
      };
    },
  };
}
