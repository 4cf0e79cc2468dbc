import { z } from 'zod';

/**
 * A price as a client writes it: non-negative, at most 99999999.99 (the DECIMAL(10,2) column), at
 * most two places, no leading zeros. The one definition: the Decimal scalar, the products service
 * and the REST query parameters all read prices with it.
 */
export const DECIMAL_PATTERN = /^(0|[1-9]\d{0,7})(\.\d{1,2})?$/;
export const DECIMAL_RULE = 'a decimal up to 99999999.99 with at most 2 places';

/** Amounts travel as canonical decimal strings with exactly two places (formatCents), never as floats. */
export const amountSchema = z.string().regex(/^\d+\.\d{2}$/, 'amount must look like "19.99"');
