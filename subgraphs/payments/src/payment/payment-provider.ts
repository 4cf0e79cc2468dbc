/** What is charged; `reference` (our payment id) is the provider's idempotency key for the charge. */
export interface ChargeRequest {
  reference: string;
  amountCents: number;
  paymentMethod: string;
}

/** A refund of a succeeded charge; `reference` is the same payment id the charge carried. */
export interface RefundRequest {
  reference: string;
  transactionId: string;
  amountCents: number;
}

export type ChargeResult =
  | { outcome: 'succeeded'; transactionId: string }
  | { outcome: 'failed'; failureReason: string };

/** What the provider knows of a reference: a settled charge, or `unknown` (it has no charge for it). */
export type ChargeLookup = ChargeResult | { outcome: 'unknown' };

/**
 * The seam for a real payment provider (Stripe, Adyen, …): implement this and pass it to
 * PaymentService in main.ts instead of the simulator. A decline is a result, not an error;
 * throwing means the outcome is unknown (a timeout after the provider took the charge, say), and
 * the payment stays PENDING until reconciliation asks `lookup`. Every call may be repeated for one
 * `reference` (a retry, a redelivered event, two replicas, reconciliation): an implementation must
 * pass `reference` on as the provider's own idempotency key so that a repeat never charges or
 * refunds twice.
 */
export interface PaymentProvider {
  readonly paymentMethods: readonly string[];
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The provider's own record of the charge made with `reference` ("what happened to X"). */
  lookup(reference: string): Promise<ChargeLookup>;
  /** Resolves once the money is on its way back; throws (and is retried) when it is not. */
  refund(request: RefundRequest): Promise<void>;
}
