// The bottom layer: the span helper shared by @shop/events (publish and delivery spans) and
// @shop/platform (HTTP client spans); both sit above it, so neither depends on the other for tracing.
import { type Attributes, type Context, type Span, type SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@shop');

/**
 * Runs `work` in a new active span under `parent` (so trace headers injected inside continue it);
 * a throw is recorded on the span and rethrown. The one span helper of the event bus and of the
 * platform's HTTP clients; without a tracer provider every span is a no-op.
 */
export function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed, with the error recorded when it is one. */
export function failSpan(span: Span | undefined, error: unknown): void {
  if (error instanceof Error) span?.recordException(error);
  span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
