import { storedText } from '@shop/platform/core';
import { z } from 'zod';

const MAX_LINES = 50;
const MAX_QUANTITY = 1000;

const line = z.object({
  // Lower-cased so two spellings of one UUID merge into one line.
  productId: z.string().trim().toLowerCase().pipe(z.guid('must be a product id')),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
});

/** Lines for the same product are merged, so stock is reserved and priced once per product. */
const items = z
  .array(line)
  .min(1)
  .max(MAX_LINES)
  .superRefine((lines, ctx) => {
    const totals = new Map<string, number>();
    lines.forEach((item, index) => {
      const before = totals.get(item.productId) ?? 0;
      totals.set(item.productId, before + item.quantity);
      if (before <= MAX_QUANTITY && before + item.quantity > MAX_QUANTITY) {
        ctx.addIssue({ code: 'custom', path: [index, 'quantity'], message: `at most ${MAX_QUANTITY} per product` });
      }
    });
  })
  .transform((lines) => {
    const totals = new Map<string, number>();
    for (const item of lines) totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
    return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
  });

const text = (max: number) => storedText().min(1, 'is required').max(max);

export const createOrderSchema = z.object({
  items,
  shippingAddress: z.object({
    street: text(200),
    city: text(100),
    state: text(100),
    zipCode: text(20),
    country: text(100),
  }),
  // Optional: a client that may send the request again (a lost answer) sends the same key.
  idempotencyKey: storedText()
    .min(1, 'is required')
    .max(255)
    .nullish()
    .transform((key) => key ?? undefined),
});

export type CreateOrderData = z.infer<typeof createOrderSchema>;
export type OrderLine = CreateOrderData['items'][number];
