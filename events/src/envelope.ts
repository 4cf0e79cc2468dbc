import { randomUUID } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import { z } from 'zod';

/** The contract's envelope: `id` is every consumer's idempotency key. */
export interface EventEnvelope<T extends string = string, D = unknown> {
  id: string;
  type: T;
  occurredAt: string;
  version: number;
  data: D;
  /**
   * W3C trace context (`traceparent`, `tracestate`) of the operation that recorded the event, kept
   * with it in the outbox so that its later publish continues that trace. Travels in the message's
   * headers, never in its body; absent when tracing is off.
   */
  traceContext?: Record<string, string>;
}

/** The active trace context as headers, or undefined when there is none (tracing off, no span). */
export function captureTraceContext(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

export interface EventDefinition<T extends string = string, D = unknown> {
  type: T;
  version: number;
  schema: z.ZodType<EventEnvelope<T, D>>;
  create(data: D): EventEnvelope<T, D>;
}

export function defineEvent<T extends string, S extends z.ZodType>(
  type: T,
  version: number,
  data: S,
): EventDefinition<T, z.infer<S>> {
  const schema = z.object({
    id: z.string().uuid(),
    type: z.literal(type),
    occurredAt: z.string().datetime(),
    version: z.literal(version),
    data,
  }) as unknown as z.ZodType<EventEnvelope<T, z.infer<S>>>;
  return {
    type,
    version,
    schema,
    create: (payload) => {
      const traceContext = captureTraceContext();
      return {
        id: randomUUID(),
        type,
        occurredAt: new Date().toISOString(),
        version,
        data: data.parse(payload) as z.infer<S>,
        ...(traceContext ? { traceContext } : {}),
      };
    },
  };
}

export type EventOf<D> = D extends EventDefinition<infer T, infer P> ? EventEnvelope<T, P> : never;
