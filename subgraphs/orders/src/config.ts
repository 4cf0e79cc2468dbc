import { retryPolicyShape } from '@shop/events';
import { durationVar, mongoShape, portVar, urlVar } from '@shop/platform/core';
import { subgraphRevocationShape } from '@shop/platform/http';

export const ordersConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  ...subgraphRevocationShape,
  ORDERS_PORT: portVar(3003),
  PRODUCTS_URL: urlVar('http://127.0.0.1:3002/graphql'),
  /** Asked by the expiry sweep whether an unpaid order past its window has a payment on its way. */
  PAYMENTS_URL: urlVar('http://127.0.0.1:3004/graphql'),
  /** How long after it is placed an order accepts a payment (`Order.payableUntil`). */
  ORDER_PAYMENT_TIMEOUT: durationVar('30m'),
  /**
   * How much longer an unpaid order waits before the expiry job cancels it: for a payment started
   * in time to settle (a charge answered late, reconciled, its event delayed) rather than be refunded.
   */
  ORDER_PAYMENT_GRACE: durationVar('2m', 0),
  /** How often each replica runs the expiry sweep. */
  ORDER_EXPIRY_INTERVAL: durationVar('30s'),
};
