/**
 * How a socket fails whose server is down, unreachable or gone silent: Node's error code, and the
 * words a server written in Go (FerretDB, about its own PostgreSQL) puts in its message for the
 * same failure (Go's, or the C library's through Go's resolver).
 */
const CONNECTION_FAILURES: Readonly<Record<string, readonly string[]>> = {
  ECONNREFUSED: ['connection refused'],
  ECONNRESET: ['connection reset by peer'],
  ETIMEDOUT: ['connection timed out', 'i/o timeout'],
  EPIPE: ['broken pipe'],
  EHOSTUNREACH: ['no route to host'],
  ENETUNREACH: ['network is unreachable'],
  ENOTFOUND: ['no such host'],
  EAI_AGAIN: ['temporary failure in name resolution', 'server misbehaving'],
};
const CONNECTION_FAILURE_WORDS = new RegExp(Object.values(CONNECTION_FAILURES).flat().join('|'), 'i');

/**
 * Whether `error` is a connection's failure as Node reports it, which a database driver may pass on
 * unwrapped (the MongoDB driver, for a write to a connection the server had just closed: EPIPE).
 */
export function isConnectionFailure(error: unknown): boolean {
  return error instanceof Error && Object.hasOwn(CONNECTION_FAILURES, (error as NodeJS.ErrnoException).code ?? '');
}

/** Whether a message from a server written in Go names one of those failures. */
export function namesConnectionFailure(message: string): boolean {
  return CONNECTION_FAILURE_WORDS.test(message);
}

/**
 * PostgreSQL's SQLSTATEs for a server that did not answer, or not in time: a connection exception
 * (class 08, but 08P01, a protocol violation, which no wait mends), a statement cancelled (57014,
 * statement_timeout), the server shutting down or starting (57P01–57P03), too many connections
 * (53300), a transaction left on a primary that became a replica (25006, read only).
 */
const POSTGRES_UNAVAILABLE_STATES = /^(0800[0-7]|57014|57P0[1-3]|53300|25006)$/;

/** Whether a PostgreSQL SQLSTATE says the server did not answer (in time), so a retry may succeed. */
export function isPostgresUnavailableState(sqlstate: string): boolean {
  return POSTGRES_UNAVAILABLE_STATES.test(sqlstate);
}
