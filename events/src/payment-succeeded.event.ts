import { z } from 'zod';
import { defineEvent } from './envelope.js';
import { amountSchema } from './money.schema.js';

export const paymentSucceeded = defineEvent(
  'payment.succeeded',
  1,
  z.object({
    paymentId: z.string(),
    orderId: z.string(),
    userId: z.string(),
    amount: amountSchema,
    transactionId: z.string(),
  }),
);
