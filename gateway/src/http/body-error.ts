/**
 * express.json's refusal of a request body (unparsable, over BODY_LIMIT_BYTES, or in an encoding or
 * charset it does not read): the client's fault, never a 500. Its 4xx status and what to tell the
 * client; undefined for any other error.
 */
export function bodyError(error: unknown): { status: number; message: string } | undefined {
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return { status, message: 'Request body too large' };
  if (type === 'encoding.unsupported') {
    return { status, message: 'Unsupported Content-Encoding: send the body as is, or in gzip, deflate or br' };
  }
  if (type === 'charset.unsupported') return { status, message: 'Unsupported charset: send the body in UTF-8' };
  return { status, message: 'Malformed JSON body' };
}
