import { retryPolicyShape } from '@shop/events';
import { mongoShape, portVar, urlVar } from '@shop/platform';

export const paymentsConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  PAYMENTS_PORT: portVar(3004),
  ORDERS_URL: urlVar('http://127.0.0.1:3003/graphql'),
};
