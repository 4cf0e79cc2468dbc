/** What is charged; `reference` (our payment id) lets a provider deduplicate retried charges. */
export interface ChargeRequest {
  reference: string;
  amountCents: number;
  paymentMethod: string;
}

export type ChargeResult =
  | { outcome: 'succeeded'; transactionId: string }
  | { outcome: 'failed'; failureReason: string };

/**
 * The seam for a real payment provider. A decline is a result, not an error; throwing means
 * the outcome is unknown.
 */
export interface PaymentProvider {
  readonly paymentMethods: readonly string[];
  charge(request: ChargeRequest): Promise<ChargeResult>;
}
