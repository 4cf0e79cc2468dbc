/** What is charged; `reference` (our payment id) lets a provider deduplicate retried charges. */
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

/**
 * The seam for a real payment provider (Stripe, Adyen, …): implement this and pass it to
 * PaymentService in main.ts instead of the simulator. A decline is a result, not an error;
 * throwing means the outcome is unknown. Both calls may be repeated for one `reference` (a retry,
 * a redelivered event, two replicas): an implementation must pass `reference` on as the
 * provider's own idempotency key so that a repeat never charges or refunds twice.
 */
export interface PaymentProvider {
  readonly paymentMethods: readonly string[];
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Resolves once the money is on its way back; throws (and is retried) when it is not. */
  refund(request: RefundRequest): Promise<void>;
}
