import type { Config } from '@shop/platform/core';
import { gatewayConfig, ROUTING_VARS, type RoutingVar } from '../config.js';

/**
 * The shop's routing overrides are never read in plain mode: a foreign supergraph may name a
 * subgraph `users` or `products` too, and a `USERS_URL` meant for another process would reroute it.
 */
const shopRoutingVars: readonly string[] = Object.values(ROUTING_VARS);

/** The gateway's configuration without the shop's routing overrides: the supergraph's URLs are used as they are. */
export const plainGatewayConfig = Object.fromEntries(
  Object.entries(gatewayConfig).filter(([name]) => !shopRoutingVars.includes(name)),
) as Omit<typeof gatewayConfig, RoutingVar>;

export type PlainGatewayConfig = Config<typeof plainGatewayConfig>;
