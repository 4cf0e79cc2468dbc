import type { ApolloServerPlugin } from '@apollo/server';
import { type EventBus, type EventOf, productChanged } from '@shop/events';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { ResponseCache } from './response-cache.js';

/**
 * The response cache of public catalogue data, emptied on every `product.changed` but a stock move.
 * Stock moves with every order: emptying the cache for each would empty it most when it is most
 * needed. Answers that show stock (`inventory`, the `inStock` filter) carry products' 10 s hint
 * instead. Each replica listens on its own exclusive queue, so every replica hears every change.
 * `maxMiB` 0: no cache.
 */
export async function useResponseCache(
  bus: EventBus,
  maxMiB: number,
): Promise<{ plugins: ApolloServerPlugin<GatewayContext>[] }> {
  if (maxMiB === 0) return { plugins: [] };
  const cache = new ResponseCache(maxMiB, () => hears(bus));
  await bus.subscribe({
    // Exclusive: the prefix of a queue of this gateway's own (every replica drops its own cache).
    queue: 'gateway.response-cache',
    events: [productChanged],
    exclusive: true,
    // The bus has already validated each message against the schema of its type.
    handler: async (event) => {
      if ((event as EventOf<typeof productChanged>).data.change !== 'stock') cache.invalidate();
    },
    // Its queue died with the connection: what changed meanwhile was never heard (the cache was
    // bypassed until now, `hears`).
    onRestored: () => cache.invalidate(),
  });
  return { plugins: cache.plugins };
}

/** Whether the bus's channels, this cache's queue among them, are connected and set up. */
function hears(bus: EventBus): boolean {
  try {
    bus.readiness.check();
    return true;
  } catch {
    return false;
  }
}
