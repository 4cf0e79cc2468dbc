import type { BaseContext, Logger } from '@shop/platform/core';

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
   * (/graphql, /api); the queries the gateway runs for a subscription's events spend none.
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
}
