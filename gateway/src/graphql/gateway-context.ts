import type { BaseContext, Logger, Principal } from '@shop/platform/core';
import { clientAddressKey } from '@shop/platform/http';

/** What every operation run through the gateway carries: HTTP, REST shims and subscriptions alike. */
export interface GatewayContext extends BaseContext {
  requestId: string;
  log: Logger;
  /** The caller's own `Authorization` header, forwarded as is: subgraphs verify it themselves. */
  authorization: string | undefined;
  /** The caller's address (see `TRUST_PROXY`), forwarded to subgraphs as `x-client-ip`. */
  clientIp: string | undefined;
  /**
   * When the gateway stops working on this operation (epoch ms, `REQUEST_TIMEOUT`): each subgraph
   * fetch gets what is left. Set by `requestDeadline` on HTTP and per query for subscriptions;
   * without it (an operation run by hand, in a test) each fetch has SUBGRAPH_TIMEOUT.
   */
  deadline?: number;
  /** The caller asked for less time than the gateway gives (`x-request-timeout-ms`). */
  deadlineFromClient?: boolean;
  /**
   * The cost budget the operation spends (client-budget.plugin.ts): set on a client's request
   * (/graphql, /api) and on a subscription's authorizing query; the queries the gateway runs for
   * a subscription's events spend none.
   */
  budget?: ClientBudget;
}

/** Whose budget a request spends, and what the budget has left once it did (its answer's headers). */
export interface ClientBudget {
  /** The signed-in account, or the client's address when anonymous. */
  key: string;
  /**
   * The answer's `RateLimit` headers, filled by the plugin. An object of its own because Apollo
   * Server runs each operation with a shallow copy of its context: the REST shims read it after.
   */
  headers: Record<string, string>;
  /**
   * The least the request spends: a subscription's start, whose authorizing query may select less
   * than its events will run (paymentStatusChanged's is `order { id }`), spends its document's cost.
   */
  atLeast?: number;
}

/**
 * A client's budget: its account's when signed in (not its address: many customers share one behind
 * a carrier's NAT), its address's when anonymous.
 */
export function clientBudget(principal: Principal | null, clientIp: string | undefined): ClientBudget {
  const key = principal ? `account ${principal.id}` : `address ${clientAddressKey(clientIp ?? 'unknown')}`;
  return { key, headers: {} };
}
