import type { SubgraphDefinition } from '@shop/platform/subgraph';
import { orderReference } from './order/order.reference.js';
import { OrderResolver } from './order/order.resolver.js';
import { UserOrdersResolver } from './user/user.resolver.js';

export const ordersSubgraph: SubgraphDefinition = {
  name: 'orders',
  resolvers: [OrderResolver, UserOrdersResolver],
  references: { Order: orderReference },
  // Declared for the supergraph only: the gateway serves it over graphql-ws.
  extraSdl: `type Subscription {
  orderStatusChanged(
    orderId: ID!
    """
    First send the order as it is now, then one message per change: a client that subscribes, or
    subscribes again after a reconnect, misses no change made while it was not listening.
    """
    current: Boolean = false
  ): Order!
}`,
};
