import { EventEmitter, on } from 'node:events';
import { mapAsyncIterator } from '@graphql-tools/utils';
import type { EventBus, EventEnvelope } from '@shop/events';
import { withinLimit } from '@shop/platform/core';
import type { SubscriptionDeclaration } from './subscription-declaration.js';

// Prefixed so that an id can never collide with EventEmitter's own names ('error', …).
const PREFIX = 'watch:';

/** Given to every subscriber after a gap in the feed (its broker connection was lost): events may have been missed. */
export const MISSED_EVENTS = Symbol('events may have been missed');
/** Given to the subscribers of one topic on request (`recheck`): each looks at itself again, e.g. at its token's expiry. */
export const RECHECK = Symbol('look again');
export type FeedItem = EventEnvelope | typeof MISSED_EVENTS | typeof RECHECK;
/** How long a starting gateway waits for its queue to be bound before it serves without it. */
const FIRST_BINDING_WAIT_MS = 3_000;
const channel = (declaration: SubscriptionDeclaration, topic: string) => `${PREFIX}${declaration.field}:${topic}`;

/**
 * The declared subscriptions' events fanned out to their subscribers, by subscription and watched
 * id. One consumer per gateway process, on an exclusive queue that dies with it, so every replica
 * sees every event.
 */
export class SubscriptionFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  constructor(readonly declarations: readonly SubscriptionDeclaration[]) {}

  /**
   * Consumes the declared events. Resolves once the queue is bound, or after `waitMs` when the broker
   * does not answer by then (the gateway serves without it; its first binding catches subscribers up).
   */
  async listen(bus: EventBus, waitMs = FIRST_BINDING_WAIT_MS): Promise<void> {
    let bound = () => {};
    const binding = new Promise<void>((resolve) => {
      bound = resolve;
    });
    await this.consume(bus, bound);
    // Past the wait, it serves unbound: its first binding announces the gap.
    await withinLimit(binding, waitMs).catch(() => {});
  }

  private consume(bus: EventBus, bound: () => void): Promise<void> {
    const events = new Map(this.declarations.flatMap((declaration) => declaration.events).map((e) => [e.type, e]));
    return bus.subscribe({
      // Exclusive: the prefix of a queue of this gateway's own (every replica hears every event).
      queue: 'gateway.subscriptions',
      events: [...events.values()],
      exclusive: true,
      handler: async (event) => this.publish(event),
      // At every binding, the first included: a gateway that started while the broker was away has
      // taken subscribers before its queue existed, and events published meanwhile missed it too.
      onBound: () => {
        bound();
        this.announceGap();
      },
    });
  }

  /** Tells every subscriber that events may have been missed, so each can catch up on what it watches. */
  announceGap(): void {
    for (const name of this.emitter.eventNames()) {
      if (typeof name === 'string' && name.startsWith(PREFIX)) this.emitter.emit(name, MISSED_EVENTS);
    }
  }

  /** To the subscribers of every declaration the event triggers, for the id it concerns. */
  publish(event: EventEnvelope): void {
    for (const declaration of this.declarations) {
      if (!declaration.events.some((declared) => declared.type === event.type)) continue;
      this.emitter.emit(channel(declaration, declaration.topic(event)), event);
    }
  }

  /** Sends RECHECK to the subscribers of `declaration` about `topic`. */
  recheck(declaration: SubscriptionDeclaration, topic: string): void {
    this.emitter.emit(channel(declaration, topic), RECHECK);
  }

  /**
   * The events of `declaration` about `topic` from now on, MISSED_EVENTS after each gap, RECHECK when asked; the
   * iterator's `return()` removes its listener.
   */
  subscribe(declaration: SubscriptionDeclaration, topic: string): AsyncIterableIterator<FeedItem> {
    return mapAsyncIterator(on(this.emitter, channel(declaration, topic)), ([item]) => item as FeedItem);
  }

  listenerCount(declaration: SubscriptionDeclaration, topic: string): number {
    return this.emitter.listenerCount(channel(declaration, topic));
  }

  /** Listeners over all subscriptions (not the 'error' listeners `on()` adds too): zero once every one has ended. */
  totalListeners(): number {
    return this.emitter
      .eventNames()
      .filter((name) => typeof name === 'string' && name.startsWith(PREFIX))
      .reduce((sum, name) => sum + this.emitter.listenerCount(name), 0);
  }
}
