import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { inSpan } from '@shop/telemetry';
import type { RequestHandler } from 'express';
import { routeTemplate } from './route-template.js';

const tracer = trace.getTracer('@shop/platform');

/**
 * A server span per HTTP request, continuing the caller's trace from its `traceparent` header.
 * Mount before the body parser: the request and response are bound to the span's context, so
 * listeners added later (body parsing, `finish` loggers) run inside it too.
 */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': req.originalUrl.split('?')[0],
          'url.scheme': req.protocol,
          'server.port': req.socket.localPort,
          'network.peer.address': req.socket.remoteAddress,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    context.bind(active, req);
    context.bind(active, res);
    res.once('close', () => {
      // Read at the end: the router has matched by then (a low-cardinality name, e.g. `GET /api/orders/:id`).
      const route = routeTemplate(req);
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'response not completed' });
      else if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(active, next);
  };
}

/**
 * Runs `call` in a client span (the active one while it runs, so `injectTraceHeaders` there
 * continues it); a failure is recorded on the span and rethrown.
 */
export function inClientSpan<T>(name: string, attributes: Attributes, call: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(name, SpanKind.CLIENT, attributes, context.active(), call);
}

/** Adds the active trace context (`traceparent`, `tracestate`) to outgoing headers; nothing when tracing is off. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
