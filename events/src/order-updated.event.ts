import { z } from 'zod';
import { defineEvent } from './envelope.js';
import { orderStatusSchema, paymentStatusSchema } from './order-status.schema.js';

export const orderUpdated = defineEvent(
  'order.updated',
  1,
  z.object({
    orderId: z.string(),
    userId: z.string(),
    previousStatus: orderStatusSchema,
    status: orderStatusSchema,
    paymentStatus: paymentStatusSchema,
  }),
);
