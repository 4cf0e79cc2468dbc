import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** The contract's envelope: `id` is every consumer's idempotency key. */
export interface EventEnvelope<T extends string = string, D = unknown> {
  id: string;
  type: T;
  occurredAt: string;
  version: number;
  data: D;
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
    create: (payload) => ({
      id: randomUUID(),
      type,
      occurredAt: new Date().toISOString(),
      version,
      data: data.parse(payload) as z.infer<S>,
    }),
  };
}

export type EventOf<D> = D extends EventDefinition<infer T, infer P> ? EventEnvelope<T, P> : never;
