import { millisecondsVar } from './duration-var.js';
import { wholeNumber } from './whole-number.js';

/** How a consumer retries a failing handler before parking the message in its dead-letter queue. */
export interface RetryPolicy {
  /** Handler runs in all, the first one included. */
  maxAttempts: number;
  /** Wait before the second run; each later wait doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Ten runs over about 8.5 minutes (waits of 1 s doubling to 256 s): a handler that needs another
 * service (orders confirms stock with products before applying a payment; payments calls the
 * provider to refund) rides out a restart or a short outage of it instead of parking the event,
 * while a poison message still reaches the dead-letter queue well within ORDER_PAYMENT_TIMEOUT.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/** Environment settings of the retry ladder, for processes that consume events (spread into a config shape). */
export const retryPolicyShape = {
  EVENTS_MAX_ATTEMPTS: wholeNumber(DEFAULT_RETRY_POLICY.maxAttempts, { max: 20 }),
  EVENTS_RETRY_BASE_MS: millisecondsVar(DEFAULT_RETRY_POLICY.baseDelayMs, 1, 3_600_000),
  EVENTS_RETRY_MAX_MS: millisecondsVar(DEFAULT_RETRY_POLICY.maxDelayMs, 1, 86_400_000),
};

export interface RetryPolicySettings {
  EVENTS_MAX_ATTEMPTS: number;
  EVENTS_RETRY_BASE_MS: number;
  EVENTS_RETRY_MAX_MS: number;
}

export function retryPolicyFrom(config: RetryPolicySettings): RetryPolicy {
  return {
    maxAttempts: config.EVENTS_MAX_ATTEMPTS,
    baseDelayMs: config.EVENTS_RETRY_BASE_MS,
    maxDelayMs: config.EVENTS_RETRY_MAX_MS,
  };
}

/** The wait after the `failedAttempts`-th failure: base, 2×base, 4×base, … capped. */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempts - 1));
}
