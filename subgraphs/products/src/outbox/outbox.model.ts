import type { EventEnvelope } from '@shop/events';
import type { Prisma } from '../product/product.model.js';

/** Rows of `outbox_events` for these events, to write in the same transaction as their change. */
export const outboxRows = (events: EventEnvelope[]): Prisma.OutboxEventCreateManyInput[] =>
  events.map((event) => ({
    id: event.id,
    type: event.type,
    envelope: event as unknown as Prisma.InputJsonObject,
    occurredAt: new Date(event.occurredAt),
  }));
