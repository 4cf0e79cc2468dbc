import { retryPolicyShape } from '@shop/events';
import { durationVar, millisecondsVar, mongoShape, portVar, urlVar, wholeNumber } from '@shop/platform/core';
import { subgraphRevocationShape } from '@shop/platform/http';

export const paymentsConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  ...subgraphRevocationShape,
  PAYMENTS_PORT: portVar(3004),
  ORDERS_URL: urlVar('http://127.0.0.1:3003/graphql'),
  /**
   * How long a charge may stay PENDING before reconciliation asks the provider about it. Longer
   * than a charge call can take: a payment the provider has no record of after this is FAILED.
   */
  PAYMENT_RECONCILE_GRACE: durationVar('10s'),
  /**
   * The failed payments one order may have (declines; not charges the provider never received):
   * a later attempt is refused with CONFLICT, reason PAYMENT_FAILURES_LIMIT. It keeps a card tester
   * from trying card after card on one order.
   */
  PAYMENT_FAILURES_PER_ORDER: wholeNumber(5, { max: 1000 }),
  /** How often each replica runs a reconciliation pass. */
  PAYMENT_RECONCILE_INTERVAL: durationVar('5s'),
  /** The built-in simulator's delay between taking a charge and answering (fault tests; 0 in use). */
  PAYMENT_SIMULATOR_DELAY_MS: millisecondsVar(0, 0, 600_000),
};
