import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { type EventBus, productChanged } from '@shop/events';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { ResponseCache } from './response-cache.js';

/**
 * The response cache of public catalogue data, emptied on every `product.changed`. Each replica
 * listens on its own exclusive queue, so every replica hears every change. `maxMiB` 0: no cache.
 */
export async function useResponseCache(
  bus: EventBus,
  maxMiB: number,
): Promise<{ plugins: ApolloServerPlugin<GatewayContext>[] }> {
  if (maxMiB === 0) return { plugins: [] };
  const cache = new ResponseCache(maxMiB, () => bus.isConnected());
  await bus.subscribe({
    // A prefix the bus makes unique per process; the random part keeps replicas in one process apart.
    queue: `gateway.response-cache.${randomUUID().slice(0, 8)}`,
    events: [productChanged],
    exclusive: true,
    handler: async () => cache.invalidate(),
  });
  return { plugins: cache.plugins };
}
