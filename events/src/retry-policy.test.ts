import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryDelayMs,
  retryPolicyFrom,
  retryPolicyShape,
} from './retry-policy.js';

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 10_000 };

describe('retryDelayMs', () => {
  it('waits the base delay after the first failure, then doubles each time', () => {
    expect([1, 2, 3, 4].map((failed) => retryDelayMs(policy, failed))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('never waits longer than the cap', () => {
    expect(retryDelayMs(policy, 5)).toBe(10_000);
    expect(retryDelayMs(policy, 40)).toBe(10_000);
  });

  it('gives the default ladder: 1 s doubling to 256 s before the tenth and last run, 511 s in all', () => {
    const waits = Array.from({ length: DEFAULT_RETRY_POLICY.maxAttempts - 1 }, (_, i) =>
      retryDelayMs(DEFAULT_RETRY_POLICY, i + 1),
    );
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000]);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBe(511_000);
  });
});

describe('retryPolicyShape', () => {
  const parse = (env: Record<string, string>) => retryPolicyFrom(z.object(retryPolicyShape).parse(env));

  it('reads the ladder from the environment', () => {
    expect(parse({ EVENTS_MAX_ATTEMPTS: '3', EVENTS_RETRY_BASE_MS: '250', EVENTS_RETRY_MAX_MS: '1000' })).toEqual({
      maxAttempts: 3,
      baseDelayMs: 250,
      maxDelayMs: 1_000,
    });
  });

  it('falls back to the default policy', () => {
    expect(parse({})).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('refuses attempts outside 1–20 and delays below 1 ms', () => {
    const invalid: Record<string, string>[] = [
      { EVENTS_MAX_ATTEMPTS: '0' },
      { EVENTS_MAX_ATTEMPTS: '21' },
      { EVENTS_MAX_ATTEMPTS: '2.5' },
      { EVENTS_RETRY_BASE_MS: '0' },
      { EVENTS_RETRY_MAX_MS: 'soon' },
    ];
    for (const env of invalid) {
      expect(() => parse(env), JSON.stringify(env)).toThrow();
    }
  });
});
