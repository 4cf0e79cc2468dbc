import { retryPolicyShape } from '@shop/events';
import { mongoShape, portVar, urlVar } from '@shop/platform';
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** A duration such as `30m`, `45s`, `2h` or `500ms` (a bare number means seconds), in milliseconds. */
const durationVar = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const match = /^(\d+)\s*(ms|s|m|h)?$/.exec(value.trim());
      if (!match) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30m, 45s, 2h or 500ms' });
        return z.NEVER;
      }
      return Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS];
    })
    .pipe(
      z
        .number()
        .int()
        .min(1_000)
        .max(30 * 86_400_000),
    );

export const ordersConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  ORDERS_PORT: portVar(3003),
  PRODUCTS_URL: urlVar('http://127.0.0.1:3002/graphql'),
  /** How long a PENDING order waits for payment before the expiry job cancels it. */
  ORDER_PAYMENT_TIMEOUT: durationVar('30m'),
  /** How often each replica runs the expiry sweep. */
  ORDER_EXPIRY_INTERVAL: durationVar('30s'),
};
