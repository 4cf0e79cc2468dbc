import { paymentFailed, paymentSucceeded } from '@shop/events';
import { defineSubscription, SUBSCRIBED } from './subscription-declaration.js';

/** The payment an event is about, as the client selects it, after each outcome of a payment of that order. */
export const paymentStatusChanged = defineSubscription({
  field: 'paymentStatusChanged',
  argument: 'orderId',
  events: [paymentSucceeded, paymentFailed],
  topic: (event) => event.data.orderId,
  // The orders subgraph answers `order(id:)` to its owner or an admin only.
  authorize: { field: 'order', arguments: { id: SUBSCRIBED }, selection: '{ id }' },
  resolve: { field: 'payment', arguments: { id: (event) => event.data.paymentId } },
  // After a gap: the order's payment now (its SUCCEEDED or REFUNDED one, else its latest).
  catchUp: { field: 'order', arguments: { id: SUBSCRIBED }, through: 'payment' },
});
