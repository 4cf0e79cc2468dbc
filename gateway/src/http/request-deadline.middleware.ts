import { deadlineFromHeader, REQUEST_TIMEOUT_HEADER } from '@shop/platform/http';
import type { RequestHandler } from 'express';

/**
 * When the gateway stops working on this request (`res.locals.deadline`, epoch ms): `timeoutMs`
 * from now, or sooner when the client says it waits less (`x-request-timeout-ms`, as subgraphs
 * read it). Every subgraph fetch made for the request gets what is left (forwarding-data-source.ts),
 * so a query plan of several fetches in a row ends within the budget, not one budget per fetch.
 */
export function requestDeadline(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const now = Date.now();
    const asked = deadlineFromHeader(req.header(REQUEST_TIMEOUT_HEADER), now);
    res.locals.deadline = Math.min(now + timeoutMs, asked ?? Number.POSITIVE_INFINITY);
    // A subgraph call that runs out of a time the client shortened is not held against the subgraph.
    res.locals.deadlineFromClient = asked !== undefined && asked < now + timeoutMs;
    next();
  };
}
