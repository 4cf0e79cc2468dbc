/**
 * express.json's refusal of a request body (unparsable, over BODY_LIMIT_BYTES, or in an encoding or
 * charset it does not read), or the router's of a path it cannot decode: the client's fault, never
 * a 500. Its 4xx status and what to tell the client; undefined for any other error.
 */
export function bodyError(error: unknown): { status: number; message: string } | undefined {
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  // The router's, for a parameter such as /api/orders/%E0%A4%A: there may be no body at all.
  if (error instanceof URIError) return { status, message: 'Malformed path: invalid percent-encoding' };
  if (status === 413) return { status, message: 'Request body too large' };
  if (type === 'encoding.unsupported') {
    return { status, message: 'Unsupported Content-Encoding: send the body as is, or in gzip, deflate or br' };
  }
  if (type === 'charset.unsupported') return { status, message: 'Unsupported charset: send the body in UTF-8' };
  if (type === 'entity.parse.failed') return { status, message: 'Malformed JSON body' };
  return { status, message: 'Unreadable request body' };
}
