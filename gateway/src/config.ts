import { fileURLToPath } from 'node:url';
import { type Config, portVar } from '@shop/platform';
import { z } from 'zod';

const routingUrl = z.string().url().optional();

export const gatewayConfig = {
  GATEWAY_PORT: portVar(3000),
  SUPERGRAPH_PATH: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../supergraph.graphql', import.meta.url))),
  /** Replace the routing URL the supergraph names for that subgraph (e.g. in containers). */
  USERS_URL: routingUrl,
  PRODUCTS_URL: routingUrl,
  ORDERS_URL: routingUrl,
  PAYMENTS_URL: routingUrl,
  NOTIFICATIONS_URL: routingUrl,
};

export type GatewayConfig = Config<typeof gatewayConfig>;

/** Subgraph name (as in the supergraph) → routing URL override. */
export function routingOverrides(config: GatewayConfig): Record<string, string | undefined> {
  return {
    users: config.USERS_URL,
    products: config.PRODUCTS_URL,
    orders: config.ORDERS_URL,
    payments: config.PAYMENTS_URL,
    notifications: config.NOTIFICATIONS_URL,
  };
}
