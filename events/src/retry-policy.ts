import { z } from 'zod';

/** How a consumer retries a failing handler before parking the message in its dead-letter queue. */
export interface RetryPolicy {
  /** Handler runs in all, the first one included. */
  maxAttempts: number;
  /** Wait before the second run; each later wait doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/** Environment settings of the retry ladder, for processes that consume events (spread into a config shape). */
export const retryPolicyShape = {
  EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(DEFAULT_RETRY_POLICY.maxAttempts),
  EVENTS_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(DEFAULT_RETRY_POLICY.baseDelayMs),
  EVENTS_RETRY_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(DEFAULT_RETRY_POLICY.maxDelayMs),
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
