import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  afterFailure,
  DEFAULT_RETRY_POLICY,
  type FailureHistory,
  type RetryPolicy,
  retryDelayMs,
  retryPolicyFrom,
  retryPolicyShape,
} from './retry-policy.js';
import { HEADERS, historyHeaders, historyOf } from './topology.js';

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 10_000, outagePatienceMs: 60_000 };

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
    const env = { EVENTS_MAX_ATTEMPTS: '3', EVENTS_RETRY_BASE_MS: '250', EVENTS_RETRY_MAX_MS: '1000' };
    expect(parse({ ...env, EVENTS_OUTAGE_PATIENCE: '90m' })).toEqual({
      maxAttempts: 3,
      baseDelayMs: 250,
      maxDelayMs: 1_000,
      outagePatienceMs: 90 * 60_000,
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
      { EVENTS_OUTAGE_PATIENCE: '0s' },
      { EVENTS_OUTAGE_PATIENCE: 'forever' },
    ];
    for (const env of invalid) {
      expect(() => parse(env), JSON.stringify(env)).toThrow();
    }
  });
});

describe('afterFailure', () => {
  const fresh: FailureHistory = { attempts: 0, outages: 0 };
  /** Applies `outages` (true for an outage failure) one after another, a second apart from `start`. */
  const after = (failures: boolean[], start = 0) =>
    failures.reduce<{ history: FailureHistory; verdicts: ReturnType<typeof afterFailure>[] }>(
      ({ history, verdicts }, outage, i) => {
        const verdict = afterFailure(policy, history, outage, start + i * 1_000);
        return { history: verdict.history, verdicts: [...verdicts, verdict] };
      },
      { history: fresh, verdicts: [] },
    ).verdicts;

  it('parks after maxAttempts failures, each a step further up the ladder', () => {
    const verdicts = after([false, false, false, false, false, false]);
    expect(verdicts.map((v) => (v.action === 'retry' ? v.step : v.reason))).toEqual([1, 2, 3, 4, 5, 'handler-failed']);
    expect(verdicts.at(-1)?.history).toEqual({ attempts: 6, outages: 0 });
  });

  it('retries outage failures without using up attempts, climbing to the last step and staying there', () => {
    const verdicts = after(Array.from({ length: 30 }, () => true));
    expect(verdicts.every((v) => v.action === 'retry')).toBe(true);
    expect(verdicts.map((v) => (v.action === 'retry' ? v.step : 0)).slice(0, 7)).toEqual([1, 2, 3, 4, 5, 5, 5]);
    expect(verdicts.map((v) => (v.action === 'retry' ? v.delayMs : 0)).slice(4)).toEqual(Array(26).fill(10_000));
    expect(verdicts.at(-1)?.history).toEqual({ attempts: 0, outages: 30, outageSince: 0 });
  });

  it('parks an outage failure once outages have lasted outagePatienceMs since the first', () => {
    const first = afterFailure(policy, fresh, true, 5_000);
    expect(first).toMatchObject({ action: 'retry', history: { outageSince: 5_000 } });
    expect(afterFailure(policy, first.history, true, 5_000 + 59_999).action).toBe('retry');
    expect(afterFailure(policy, first.history, true, 5_000 + 60_000)).toMatchObject({
      action: 'park',
      reason: 'outage',
      history: { attempts: 0, outages: 2, outageSince: 5_000 },
    });
  });

  it('keeps counting ordinary failures between outages, and the outage clock across them', () => {
    const verdicts = after([true, false, true, false, false, false, false, false]);
    // An ordinary failure waits the step of its attempt, outages aside; an outage one step more.
    expect(verdicts.map((v) => (v.action === 'retry' ? v.step : v.reason))).toEqual([
      1,
      1,
      3,
      2,
      3,
      4,
      5,
      'handler-failed',
    ]);
    expect(verdicts.at(-2)).toMatchObject({ action: 'retry', step: 5, history: { attempts: 5, outages: 2 } });
    expect(verdicts.at(-1)).toMatchObject({
      action: 'park',
      reason: 'handler-failed',
      history: { attempts: 6, outages: 2, outageSince: 0 },
    });
    expect(afterFailure(policy, { attempts: 1, outages: 1, outageSince: 0 }, true, 60_000).action).toBe('park');
  });

  it('counts an outage like any failure when there is no ladder to wait on', () => {
    const single = { ...policy, maxAttempts: 1 };
    expect(afterFailure(single, fresh, true, 0)).toEqual({
      action: 'park',
      reason: 'handler-failed',
      history: { attempts: 1, outages: 0 },
    });
  });
});

describe('historyOf', () => {
  it('reads the retry bookkeeping a delivery carries, and none from a first delivery', () => {
    expect(historyOf(undefined)).toEqual({ attempts: 0, outages: 0 });
    const headers = { [HEADERS.attempts]: 2, [HEADERS.outages]: 5, [HEADERS.outageSince]: 1_700_000_000_000 };
    expect(historyOf(headers)).toEqual({ attempts: 2, outages: 5, outageSince: 1_700_000_000_000 });
    expect(historyOf(historyHeaders(historyOf(headers)))).toEqual(historyOf(headers));
  });

  it('takes a value that is not a number as absent, so every bound is still reached', () => {
    const headers = { [HEADERS.attempts]: 'many', [HEADERS.outages]: null, [HEADERS.outageSince]: 'yesterday' };
    expect(historyOf(headers)).toEqual({ attempts: 0, outages: 0 });
  });
});
