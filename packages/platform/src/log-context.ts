import { AsyncLocalStorage } from 'node:async_hooks';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/** Fields every log line written while handling one request carries, whichever logger wrote it. */
export interface LogContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/**
 * The pino mixin: the current request's fields, and the active span's ids while tracing, under
 * the names OpenTelemetry gives them in JSON logs (`trace_id`, `span_id`) so backends link the two.
 */
export const logContextMixin = (): object => {
  const fields = storage.getStore();
  const span = trace.getSpan(context.active())?.spanContext();
  if (!span || !isSpanContextValid(span)) return fields ?? {};
  return { ...fields, trace_id: span.traceId, span_id: span.spanId };
};

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
