import { z } from 'zod';
import { defineEvent } from './envelope.js';

/**
 * A product of the catalogue was created or changed (its fields by an admin, its stock by an
 * order's reservation or release). Caches of public catalogue data (the gateway's) evict on it.
 */
export const productChanged = defineEvent(
  'product.changed',
  1,
  z.object({
    productId: z.string(),
    change: z.enum(['created', 'updated', 'stock']),
  }),
);
