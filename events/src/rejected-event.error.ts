/**
 * Thrown by a handler for a well-formed event it must not apply (a payment that does not match
 * its order, say): no retry can change that, so the bus parks it in the dead-letter queue at once
 * with `x-shop-reason=rejected` and `reason` as its error, logs it as an alert and counts it.
 */
export class RejectedEventError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RejectedEventError';
  }
}
