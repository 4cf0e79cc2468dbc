import { randomUUID } from 'node:crypto';
import type { ChargeRequest, ChargeResult, PaymentProvider, RefundRequest } from './payment-provider.js';

const DECLINED = 'card_declined';

/** The built-in simulator of the contract: every method succeeds except `card_declined`. */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly paymentMethods = ['card', 'paypal', 'bank_transfer', DECLINED] as const;

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    if (request.paymentMethod === DECLINED) return { outcome: 'failed', failureReason: DECLINED };
    return { outcome: 'succeeded', transactionId: `sim_${randomUUID()}` };
  }

  /** Simulated refunds always succeed. */
  async refund(_request: RefundRequest): Promise<void> {}
}
