import type { SubgraphDefinition } from '@shop/platform/subgraph';
import { orderReference } from './order/order.reference.js';
import { OrderPaymentResolver } from './order/order.resolver.js';
import { paymentReference } from './payment/payment.reference.js';
import { PaymentResolver } from './payment/payment.resolver.js';

export const paymentsSubgraph: SubgraphDefinition = {
  name: 'payments',
  resolvers: [PaymentResolver, OrderPaymentResolver],
  references: { Payment: paymentReference, Order: orderReference },
  // Declared for the supergraph only: the gateway serves it over graphql-ws.
  extraSdl: `type Subscription {
  paymentStatusChanged(
    orderId: ID!
    """
    First send the order's payment as it is now (when it has one), then one message per outcome: a
    client that subscribes, or subscribes again after a reconnect, misses no outcome meanwhile.
    """
    current: Boolean = false
  ): Payment!
}`,
};
