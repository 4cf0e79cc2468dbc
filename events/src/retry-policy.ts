import { durationVar, millisecondsVar } from './duration-var.js';
import { wholeNumber } from './whole-number.js';

/** How a consumer retries a failing handler before parking the message in its dead-letter queue. */
export interface RetryPolicy {
  /** Handler runs in all, the first one included. */
  maxAttempts: number;
  /** Wait before the second run; each later wait doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * How long, from the first of them, a message may wait out failures that mean a dependency did
   * not answer (the bus's `outage` check): those do not use up attempts, so a database or service
   * outage longer than the ladder does not park every event consumed meanwhile.
   */
  outagePatienceMs: number;
}

/**
 * Ten runs over about 8.5 minutes (waits of 1 s doubling to 256 s): a handler that needs another
 * service (orders confirms stock with products before applying a payment; payments calls the
 * provider to refund) rides out a restart or a short outage of it instead of parking the event,
 * while a poison message still reaches the dead-letter queue well within ORDER_PAYMENT_TIMEOUT.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  outagePatienceMs: 6 * 3_600_000,
};

/** Environment settings of the retry ladder, for processes that consume events (spread into a config shape). */
export const retryPolicyShape = {
  EVENTS_MAX_ATTEMPTS: wholeNumber(DEFAULT_RETRY_POLICY.maxAttempts, { max: 20 }),
  EVENTS_RETRY_BASE_MS: millisecondsVar(DEFAULT_RETRY_POLICY.baseDelayMs, 1, 3_600_000),
  EVENTS_RETRY_MAX_MS: millisecondsVar(DEFAULT_RETRY_POLICY.maxDelayMs, 1, 86_400_000),
  EVENTS_OUTAGE_PATIENCE: durationVar('6h'),
};

export interface RetryPolicySettings {
  EVENTS_MAX_ATTEMPTS: number;
  EVENTS_RETRY_BASE_MS: number;
  EVENTS_RETRY_MAX_MS: number;
  EVENTS_OUTAGE_PATIENCE: number;
}

export function retryPolicyFrom(config: RetryPolicySettings): RetryPolicy {
  return {
    maxAttempts: config.EVENTS_MAX_ATTEMPTS,
    baseDelayMs: config.EVENTS_RETRY_BASE_MS,
    maxDelayMs: config.EVENTS_RETRY_MAX_MS,
    outagePatienceMs: config.EVENTS_OUTAGE_PATIENCE,
  };
}

/** The wait after the `failedAttempts`-th failure: base, 2×base, 4×base, … capped. */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempts - 1));
}

/** A failed delivery's retry bookkeeping, carried in its headers from one try to the next. */
export interface FailureHistory {
  /** Failed runs that count toward `maxAttempts`. */
  attempts: number;
  /** Failed runs during an outage (not counted): each still moves the message a step up the ladder. */
  outages: number;
  /** When the first of those failed (epoch ms). */
  outageSince?: number;
}

/** What becomes of a delivery whose handler failed: the next step of the ladder, or the dead-letter queue. */
export type FailureVerdict =
  | { action: 'retry'; step: number; delayMs: number; history: FailureHistory }
  | { action: 'park'; reason: 'handler-failed' | 'outage'; history: FailureHistory };

/**
 * The policy's answer to one more failure. An outage failure uses no attempt: it is retried until
 * outages have gone on for `outagePatienceMs` since the first (the clock keeps running through
 * ordinary failures in between), climbing a step with each failure of either kind up to the
 * ladder's last, where it keeps waiting. Any other failure uses up an attempt and waits the step of
 * its attempt, as if no outage had come between, so a handler that fails for its own reasons after
 * an outage is parked as soon as it would have been without one. Either way the retry queue of
 * step `n` only ever holds waits of `retryDelayMs(n)`. Without a ladder (one attempt) there is
 * nowhere to wait, and an outage counts like any failure.
 */
export function afterFailure(
  policy: RetryPolicy,
  before: FailureHistory,
  outage: boolean,
  now: number,
): FailureVerdict {
  const steps = policy.maxAttempts - 1;
  if (outage && steps > 0) {
    const outageSince = before.outageSince ?? now;
    const history = { attempts: before.attempts, outages: before.outages + 1, outageSince };
    if (now - outageSince >= policy.outagePatienceMs) return { action: 'park', reason: 'outage', history };
    return ladderStep(policy, history, Math.min(runsBefore(history), steps));
  }
  const history = { ...before, attempts: before.attempts + 1 };
  if (history.attempts >= policy.maxAttempts) return { action: 'park', reason: 'handler-failed', history };
  return ladderStep(policy, history, history.attempts);
}

/** Handler runs that failed so far, of either kind. */
export const runsBefore = (history: FailureHistory): number => history.attempts + history.outages;

const ladderStep = (policy: RetryPolicy, history: FailureHistory, step: number): FailureVerdict => ({
  action: 'retry',
  step,
  delayMs: retryDelayMs(policy, step),
  history,
});
