import { z } from 'zod';

/** Amounts travel as decimal strings with two places, never as floats. */
export const amountSchema = z.string().regex(/^\d+\.\d{2}$/, 'amount must look like "19.99"');
