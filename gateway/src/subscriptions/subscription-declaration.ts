import type { EventDefinition, EventEnvelope, EventOf } from '@shop/events';

/** A query argument that takes the subscription's own argument, exactly as the client wrote it (literal or variable). */
export const SUBSCRIBED = Symbol('the subscription argument');

/** A field of `Query`, run through the supergraph as the subscriber, and the values of its arguments. */
export interface QueryField<Arguments> {
  field: string;
  arguments: Record<string, Arguments>;
}

/**
 * A subscription the gateway serves over graphql-ws: @apollo/gateway cannot execute subscriptions,
 * so each one is answered by running the client's selection as a query through the supergraph,
 * once per event. The subgraphs keep deciding who may see what.
 */
export interface SubscriptionDeclaration<E extends EventEnvelope = EventEnvelope> {
  /** The field of `Subscription` (declared in a subgraph's SDL, so that it composes into the supergraph). */
  field: string;
  /** Its one `ID!` argument: what the subscriber watches. */
  argument: string;
  /** The RabbitMQ events that trigger a delivery. */
  events: readonly EventDefinition[];
  /** The watched id an event concerns: it reaches the subscribers that gave this `argument`. */
  topic: (event: E) => string;
  /**
   * Run once when a client subscribes, before any event: answered null or with an error, the
   * subscription is refused. Without `selection`, it runs the client's own selection.
   */
  authorize: QueryField<typeof SUBSCRIBED> & { selection?: string };
  /** The query whose answer, with the client's selection, is each event's payload. */
  resolve: QueryField<typeof SUBSCRIBED | ((event: E) => string)>;
  /**
   * After a gap in the feed (events may have been missed), each subscriber is sent the payload as
   * it is now, when it differs from the last one it was sent: `resolve` answers that when it reads
   * nothing from an event; otherwise this query does, its `through` field holding the payload (an
   * order's `payment`, say). Null there means nothing to catch up on.
   */
  catchUp?: QueryField<typeof SUBSCRIBED> & { through: string };
}

/** Types the event handlers by the declared events; the gateway then handles every declaration alike. */
export function defineSubscription<const D extends readonly EventDefinition[]>(
  declaration: SubscriptionDeclaration<EventOf<D[number]>> & { events: D },
): SubscriptionDeclaration {
  return declaration as unknown as SubscriptionDeclaration;
}
