import { retryPolicyFrom } from '@shop/events';
import { parseConfig } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { paymentsConfig } from './config.js';

const parse = (env: Record<string, string>) => parseConfig(paymentsConfig, { NODE_ENV: 'development', ...env });

describe('payments configuration', () => {
  it('reads the retry ladder of its event consumer from EVENTS_*, bounded', () => {
    expect(retryPolicyFrom(parse({}))).toEqual({
      maxAttempts: 10,
      baseDelayMs: 1_000,
      maxDelayMs: 300_000,
      outagePatienceMs: 6 * 3_600_000,
    });
    const env = { EVENTS_MAX_ATTEMPTS: '3', EVENTS_RETRY_BASE_MS: '250', EVENTS_RETRY_MAX_MS: '4000' };
    expect(retryPolicyFrom(parse({ ...env, EVENTS_OUTAGE_PATIENCE: '30m' }))).toEqual({
      maxAttempts: 3,
      baseDelayMs: 250,
      maxDelayMs: 4_000,
      outagePatienceMs: 1_800_000,
    });
    expect(() => parse({ EVENTS_MAX_ATTEMPTS: '21' })).toThrow(/EVENTS_MAX_ATTEMPTS/);
    expect(() => parse({ EVENTS_RETRY_MAX_MS: '-1' })).toThrow(/EVENTS_RETRY_MAX_MS/);
  });

  it('reconciles PENDING payments after a 10 s grace, every 5 s, by default (PAID within 30 s of a lost answer)', () => {
    expect(parse({})).toMatchObject({ PAYMENT_RECONCILE_GRACE: 10_000, PAYMENT_RECONCILE_INTERVAL: 5_000 });
    expect(parse({ PAYMENT_RECONCILE_GRACE: '2s', PAYMENT_RECONCILE_INTERVAL: '1500ms' })).toMatchObject({
      PAYMENT_RECONCILE_GRACE: 2_000,
      PAYMENT_RECONCILE_INTERVAL: 1_500,
    });
    expect(() => parse({ PAYMENT_RECONCILE_GRACE: 'soon' })).toThrow(/PAYMENT_RECONCILE_GRACE/);
  });
});
