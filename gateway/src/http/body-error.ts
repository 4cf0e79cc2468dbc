/**
 * express.json's refusal of a request body (unparsable, or over BODY_LIMIT_BYTES): the client's
 * fault, never a 500. Its 4xx status and what to tell the client; undefined for any other error.
 */
export function bodyError(error: unknown): { status: number; message: string } | undefined {
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return { status, message: status === 413 ? 'Request body too large' : 'Malformed JSON body' };
}
