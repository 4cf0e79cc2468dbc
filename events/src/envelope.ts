import { createHash, randomUUID } from 'node:crypto';
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

/**
 * An event id derived from a name (a UUID of version 8, RFC 9562, name-based with SHA-256): every
 * writer of one outcome (a retry, a redelivery, a reconciliation) gives its event the same id,
 * which consumers deduplicate.
 */
export function namedEventId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
