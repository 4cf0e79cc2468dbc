import type { Config } from '@shop/platform/core';
import { gatewayConfig } from '../config.js';

/**
 * The shop's routing overrides: a foreign supergraph may name a subgraph `users` or `products`
 * too, and a `USERS_URL` meant for another process would reroute it. Never read in plain mode.
 */
const shopRoutingVars = ['USERS_URL', 'PRODUCTS_URL', 'ORDERS_URL', 'PAYMENTS_URL', 'NOTIFICATIONS_URL'] as const;

/** The gateway's configuration without the shop's routing overrides: the supergraph's URLs are used as they are. */
export const plainGatewayConfig = Object.fromEntries(
  Object.entries(gatewayConfig).filter(([name]) => !(shopRoutingVars as readonly string[]).includes(name)),
) as Omit<typeof gatewayConfig, (typeof shopRoutingVars)[number]>;

export type PlainGatewayConfig = Config<typeof plainGatewayConfig>;
