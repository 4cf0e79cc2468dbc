import { Counter } from 'prom-client';

/**
 * Address confirmation links: `sent` (to a new account, or asked for again), `confirmed`, and
 * `refused` (invalid, used or expired: many of them is someone guessing, or links arriving late).
 */
export const emailConfirmations = new Counter({
  name: 'email_confirmations_total',
  help: 'Address confirmation links sent (at registration or asked for again), addresses confirmed, and links refused as invalid, used or expired',
  labelNames: ['outcome'] as const,
});
