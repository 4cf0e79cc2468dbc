import type { PaymentProvider } from './payment/payment-provider.js';
import { SimulatedPaymentProvider } from './payment/simulated-payment.provider.js';

/** The payment provider of this deployment (the service and `pnpm payments:reconcile` share it). */
export function createPaymentProvider(config: { PAYMENT_SIMULATOR_DELAY_MS: number }): PaymentProvider {
  return new SimulatedPaymentProvider({ answerDelayMs: config.PAYMENT_SIMULATOR_DELAY_MS });
}
