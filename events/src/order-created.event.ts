import { z } from 'zod';
import { defineEvent } from './envelope.js';
import { amountSchema } from './money.schema.js';

export const orderCreated = defineEvent(
  'order.created',
  1,
  z.object({
    orderId: z.string(),
    userId: z.string(),
    totalAmount: amountSchema,
    items: z.array(z.object({ productId: z.string(), quantity: z.number().int().positive(), price: amountSchema })),
  }),
);
