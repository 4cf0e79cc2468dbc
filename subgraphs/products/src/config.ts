import { retryPolicyShape } from '@shop/events';
import { databaseWaitShape, durationVar, portVar, wholeNumber } from '@shop/platform/core';
import { subgraphRevocationShape } from '@shop/platform/http';
import { z } from 'zod';

export const productsConfig = {
  ...subgraphRevocationShape,
  PRODUCTS_PORT: portVar(3002),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://shop:shop@127.0.0.1:5432/shop'),
  ...databaseWaitShape,
  /** The retry ladder of its consumer (products.payments). */
  ...retryPolicyShape,
  /**
   * The longest a statement may run: PostgreSQL cancels it then (a row lock held too long, a
   * runaway scan), and the request is answered SERVICE_UNAVAILABLE. Jobs work in small batches.
   * At least 30 s: a connection silent a second past it is closed (product.model.ts), and the
   * outbox relay's transaction rightly waits up to 30 s for the broker's confirms.
   */
  DB_STATEMENT_TIMEOUT: durationVar('60s', 30_000),
  /** How long a reservation waits for its order's confirmation before its stock goes back. */
  STOCK_RESERVATION_TTL: durationVar('5m'),
  /** How often each replica looks for expired reservations. */
  STOCK_RESERVATION_SWEEP_INTERVAL: durationVar('30s'),
  /** How many unpaid orders one customer may hold stock for at once (orders pay or cancel within ORDER_PAYMENT_TIMEOUT). */
  UNPAID_ORDERS_PER_CUSTOMER: wholeNumber(10, { max: 10_000 }),
  /**
   * How long a reservation counts as an unpaid order at the most: orders cancels an order unpaid past
   * ORDER_PAYMENT_TIMEOUT + ORDER_PAYMENT_GRACE (32 min), so a payment products never heard of (its
   * event parked) holds the customer's place no longer than this.
   */
  UNPAID_ORDERS_WINDOW: durationVar('35m'),
};
