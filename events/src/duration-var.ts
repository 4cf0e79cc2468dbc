import ms from 'ms';
import { z } from 'zod';

/**
 * Durations in configuration have one notation, the `ms` package's: `500ms`, `45s`, `30m`, `2h`,
 * `14d`. A bare number is still read in the unit the variable always had: seconds for a name
 * without a unit (ORDER_PAYMENT_TIMEOUT) and for `*_SECONDS`, milliseconds for `*_MS`.
 */
const NOTATION = /^\d+(\.\d+)?\s*[a-z]+$/i;
/**
 * The longest duration a variable that sets a timer takes (every `durationVar`, the rate-limit
 * windows): 24 days, under Node's timer limit (2^31 - 1 ms, about 24.8 days). A longer delay is
 * taken as 1 ms with only a warning, so a rate-limit window of 30 days would forget each count at
 * once, and a 30-day interval would run a sweep back to back.
 */
export const LONGEST_DURATION_MS = 24 * 86_400_000;
const SECOND_MS = 1_000;

/** Milliseconds, or undefined when `value` is neither a duration nor a bare number. */
export function parseDuration(value: string, bareUnitMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * bareUnitMs;
  if (!NOTATION.test(text)) return undefined;
  const parsed = ms(text as ms.StringValue);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A duration variable read as `bareUnitMs` for bare numbers, given in whole `resultUnitMs`. */
function durationOf(fallback: string, bareUnitMs: number, resultUnitMs: number, minMs: number, maxMs: number) {
  const unit = resultUnitMs === 1 ? 'milliseconds' : 'seconds';
  return z.coerce
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const total = parseDuration(value, bareUnitMs);
      if (total === undefined || !Number.isInteger(total / resultUnitMs)) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 30m, 45s, 2h or 500ms, in whole ${unit}` });
        return z.NEVER;
      }
      if (total < minMs || total > maxMs) {
        ctx.addIssue({ code: 'custom', message: `must be between ${ms(minMs)} and ${ms(maxMs)}` });
        return z.NEVER;
      }
      return total / resultUnitMs;
    });
}

/** A duration in milliseconds; a bare number means seconds. `maxMs` past 24 days only for one that sets no timer. */
export const durationVar = (fallback: string, minMs = SECOND_MS, maxMs = LONGEST_DURATION_MS) =>
  durationOf(fallback, SECOND_MS, 1, minMs, maxMs);

/** A `*_SECONDS` variable: whole seconds, from a bare number of seconds or a duration (`1h`). */
export const secondsVar = (fallback: number, min: number, max: number) =>
  durationOf(String(fallback), SECOND_MS, SECOND_MS, min * SECOND_MS, max * SECOND_MS);

/** A `*_MS` variable: milliseconds, from a bare number of milliseconds or a duration (`5s`). */
export const millisecondsVar = (fallback: number, min: number, max: number) =>
  durationOf(String(fallback), 1, 1, min, max);
