/** How Node names the failure of a socket whose server is down, unreachable, or gone silent. */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether `error` is a connection's failure as Node reports it, which a database driver may pass on
 * unwrapped (the MongoDB driver, for a write to a connection the server had just closed: EPIPE).
 */
export function isConnectionFailure(error: unknown): boolean {
  return error instanceof Error && CONNECTION_FAILURES.has((error as NodeJS.ErrnoException).code ?? '');
}
