import { randomUUID } from 'node:crypto';
import { EventEmitter, on } from 'node:events';
import { mapAsyncIterator } from '@graphql-tools/utils';
import { type EventBus, type EventOf, orderUpdated } from '@shop/events';

export type OrderUpdated = EventOf<typeof orderUpdated>;

// Prefixed so that an order id can never collide with EventEmitter's own names ('error', …).
const channel = (orderId: string) => `order:${orderId}`;

/**
 * `order.updated` fanned out to the subscriptions of each order. One consumer per gateway
 * process, on an exclusive queue that dies with it, so every replica sees every event.
 */
export class OrderStatusFeed {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  listen(bus: EventBus): Promise<void> {
    return bus.subscribe({
      // A prefix the bus makes unique per process; the random part keeps replicas in one process apart.
      queue: `gateway.order-status.${randomUUID().slice(0, 8)}`,
      events: [orderUpdated],
      exclusive: true,
      handler: async (event) => this.publish(event as OrderUpdated),
    });
  }

  publish(event: OrderUpdated): void {
    this.emitter.emit(channel(event.data.orderId), event);
  }

  /** The order's events from now on; the iterator's `return()` removes its listener. */
  subscribe(orderId: string): AsyncIterableIterator<OrderUpdated> {
    return mapAsyncIterator(on(this.emitter, channel(orderId)), ([event]) => event as OrderUpdated);
  }

  listenerCount(orderId: string): number {
    return this.emitter.listenerCount(channel(orderId));
  }

  /** Listeners over all orders (not the 'error' listeners `on()` adds too): zero once every subscription has ended. */
  totalListeners(): number {
    return this.emitter
      .eventNames()
      .filter((name) => typeof name === 'string' && name.startsWith(channel('')))
      .reduce((sum, name) => sum + this.emitter.listenerCount(name), 0);
  }
}
