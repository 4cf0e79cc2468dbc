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
  extraSdl: 'type Subscription {\n  paymentStatusChanged(orderId: ID!): Payment!\n}',
};
