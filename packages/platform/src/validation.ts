import type { z } from 'zod';
import { BadUserInputError } from './errors.js';

/** Validates input with zod; failures become BAD_USER_INPUT naming each offending field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw BadUserInputError.fromZod(result.error);
  return result.data;
}
