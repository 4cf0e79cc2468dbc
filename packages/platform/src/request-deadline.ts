/**
 * How long the caller waits for the answer, in milliseconds: the gateway sends its subgraph timeout,
 * a subgraph calling another what is left of its own. The callee stops its work (a queue for a
 * locked row, say) when the caller has given up, instead of finishing it for nobody.
 */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

/** Longer waits are read as this: no caller here waits longer, and a deadline bounds nothing past it. */
const MAX_TIMEOUT_MS = 10 * 60_000;

/** When the caller stops waiting (epoch ms), from the header received at `receivedAt`; undefined when absent or unreadable. */
export function deadlineFromHeader(value: string | undefined, receivedAt = Date.now()): number | undefined {
  if (!value || !/^\d{1,9}$/.test(value)) return undefined;
  return receivedAt + Math.min(Number(value), MAX_TIMEOUT_MS);
}

/** Milliseconds left before `deadline`, at most `limit` (all of it without a deadline); 0 or less when it passed. */
export function timeLeft(deadline: number | undefined, limit: number, now = Date.now()): number {
  return deadline === undefined ? limit : Math.min(limit, deadline - now);
}

/** The caller stopped waiting before this work could start or finish: nobody would read its answer. */
export class DeadlineExceededError extends Error {
  constructor(what: string) {
    super(`${what}: the caller's deadline passed`);
    this.name = 'DeadlineExceededError';
  }
}
