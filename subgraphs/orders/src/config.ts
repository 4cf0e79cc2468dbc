import { retryPolicyShape } from '@shop/events';
import { durationVar, mongoShape, portVar, urlVar } from '@shop/platform/core';
import { subgraphRevocationShape } from '@shop/platform/http';

export const ordersConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  ...subgraphRevocationShape,
  ORDERS_PORT: portVar(3003),
  PRODUCTS_URL: urlVar('http://127.0.0.1:3002/graphql'),
  /** How long a PENDING order waits for payment before the expiry job cancels it. */
  ORDER_PAYMENT_TIMEOUT: durationVar('30m'),
  /** How often each replica runs the expiry sweep. */
  ORDER_EXPIRY_INTERVAL: durationVar('30s'),
};
