import type { PaymentService } from './payment/payment.service.js';

export interface PaymentsServices {
  payments: PaymentService;
}
