import { Counter } from 'prom-client';

/**
 * Reset links asked for: `sent` (to an account), `decoy` (an address without one: many of them from
 * one place is someone testing addresses), `limited` (refused past a per-email or per-address limit).
 */
export const passwordResetRequests = new Counter({
  name: 'password_reset_requests_total',
  help: 'Password reset requests, by outcome: sent (to an account), decoy (an address without one), limited (past a limit)',
  labelNames: ['outcome'] as const,
});

/** New passwords set from a link (`done`), and links that did not work (`refused`: invalid, used or expired). */
export const passwordResets = new Counter({
  name: 'password_resets_total',
  help: 'Passwords set from a reset link (done) and reset links refused as invalid, used or expired (refused)',
  labelNames: ['outcome'] as const,
});
