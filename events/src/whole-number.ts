import { z } from 'zod';

const DIGITS = /^-?\d+$/;

/**
 * A whole number written as text (an environment variable, a query parameter): digits only, from
 * `min` (default 1) to `max`, `fallback` when absent. z.coerce would read '' as 0, '1e3' as 1000 and
 * '0x10' as 16; here anything but digits is refused as not a whole number. A document made from it
 * says `integer` with the bounds and the default.
 */
export const wholeNumber = (fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) =>
  z
    .preprocess(
      (text) => (typeof text === 'string' && DIGITS.test(text) ? Number(text) : text),
      z
        .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : undefined) })
        .int()
        .min(min)
        .max(max),
    )
    .default(fallback);
