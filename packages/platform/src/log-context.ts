import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';

/** Fields every log line written while handling one request carries, whichever logger wrote it. */
export interface LogContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** The pino mixin: the current request's fields, or nothing outside a request. */
export const logContextMixin = (): object => storage.getStore() ?? {};

export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Runs the rest of the request inside its log context. Mount after the body parser: stream
 * events run in the socket's async context, so a scope entered before parsing would be lost.
 */
export function logContextMiddleware(requestId: (res: Parameters<RequestHandler>[1]) => string): RequestHandler {
  return (_req, res, next) => runWithLogContext({ requestId: requestId(res) }, next);
}
