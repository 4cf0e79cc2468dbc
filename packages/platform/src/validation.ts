import { z } from 'zod';
import { BadUserInputError } from './errors.js';

/** Validates input with zod; failures become BAD_USER_INPUT naming each offending field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw BadUserInputError.fromZod(result.error);
  return result.data;
}

/**
 * What a database can store: neither PostgreSQL text nor FerretDB's JSONB holds U+0000, so a NUL is
 * refused as BAD_USER_INPUT rather than failing the write or the query (a 500).
 */
export const NUL_FREE = /^[^\0]*$/;
export const NUL_MESSAGE = 'must not contain NUL characters';

/**
 * Text goes to the databases as UTF-8, where a lone UTF-16 surrogate (JSON's "\ud800") has no
 * encoding: the drivers would store U+FFFD in its place, changing the text without a word.
 */
export const WELL_FORMED = /^[^\p{Cs}]*$/u;
export const WELL_FORMED_MESSAGE = 'must be valid Unicode text (no lone surrogate)';

/** A trimmed string a database can store as it was sent (NUL_FREE, WELL_FORMED). */
export const storedText = () => z.string().trim().regex(NUL_FREE, NUL_MESSAGE).regex(WELL_FORMED, WELL_FORMED_MESSAGE);

/**
 * The `.invalid` top-level domain (RFC 6761): it receives no mail, and erased accounts' addresses
 * live there, so no account may take an address in it (one taken in advance would fail an erasure).
 */
export const NO_MAIL_DOMAIN = /\.invalid$/i;
export const NO_MAIL_MESSAGE = 'must be an address that can receive mail (not in .invalid)';
