import { orderUpdated } from '@shop/events';
import { defineSubscription, SUBSCRIBED } from './subscription-declaration.js';

/** The whole order as the client selects it, after each `order.updated` of that order. */
export const orderStatusChanged = defineSubscription({
  field: 'orderStatusChanged',
  argument: 'orderId',
  events: [orderUpdated],
  topic: (event) => event.data.orderId,
  // The orders subgraph answers `order(id:)` to its owner or an admin only.
  authorize: { field: 'order', arguments: { id: SUBSCRIBED } },
  resolve: { field: 'order', arguments: { id: SUBSCRIBED } },
});
