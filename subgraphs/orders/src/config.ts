import { mongoShape, portVar, urlVar } from '@shop/platform';

export const ordersConfig = {
  ...mongoShape,
  ORDERS_PORT: portVar(3003),
  PRODUCTS_URL: urlVar('http://127.0.0.1:3002/graphql'),
};
