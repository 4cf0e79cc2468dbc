import { retryPolicyFrom } from '@shop/events';
import { parseConfig } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { ordersConfig } from './config.js';

const parse = (env: Record<string, string>) => parseConfig(ordersConfig, { NODE_ENV: 'development', ...env });

describe('orders configuration', () => {
  it('reads ORDER_PAYMENT_TIMEOUT and ORDER_EXPIRY_INTERVAL as durations, 30 min and 30 s by default', () => {
    expect(parse({})).toMatchObject({ ORDER_PAYMENT_TIMEOUT: 1_800_000, ORDER_EXPIRY_INTERVAL: 30_000 });
    expect(parse({ ORDER_PAYMENT_TIMEOUT: '45s', ORDER_EXPIRY_INTERVAL: '1500ms' })).toMatchObject({
      ORDER_PAYMENT_TIMEOUT: 45_000,
      ORDER_EXPIRY_INTERVAL: 1_500,
    });
    expect(parse({ ORDER_PAYMENT_TIMEOUT: '2h' }).ORDER_PAYMENT_TIMEOUT).toBe(7_200_000);
    expect(parse({ ORDER_PAYMENT_TIMEOUT: '90' }).ORDER_PAYMENT_TIMEOUT).toBe(90_000);
  });

  it('refuses a value that is not a duration, or too short, naming the variable', () => {
    expect(() => parse({ ORDER_PAYMENT_TIMEOUT: 'soon' })).toThrow(/ORDER_PAYMENT_TIMEOUT/);
    expect(() => parse({ ORDER_EXPIRY_INTERVAL: '10ms' })).toThrow(/ORDER_EXPIRY_INTERVAL/);
  });

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
    expect(() => parse({ EVENTS_MAX_ATTEMPTS: '0' })).toThrow(/EVENTS_MAX_ATTEMPTS/);
    expect(() => parse({ EVENTS_RETRY_BASE_MS: 'soon' })).toThrow(/EVENTS_RETRY_BASE_MS/);
  });
});
