import type { ApolloServerPlugin, GraphQLRequest } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { Counter } from 'prom-client';
import type { GatewayContext } from '../graphql/gateway-context.js';

const responseCacheRequests = new Counter({
  name: 'gateway_response_cache_queries_total',
  help: 'GraphQL queries (HTTP and REST shims) answered from the response cache (hit) or executed (miss)',
  labelNames: ['result'] as const,
});

/**
 * Whole responses of queries, per gateway replica, in an in-memory LRU bounded in bytes and keyed
 * by query text, operation name and variables. Only responses that are entirely PUBLIC and
 * cacheable are kept, for the shortest max-age of every subgraph response they were made of
 * (`Cache-Control` of each subgraph, honoured by @apollo/gateway): anything touching users,
 * orders or payments, which send no hints, is never cached. Hits carry `Age`.
 *
 * `invalidate()` drops everything (a catalogue change can move any list, filter or count). A
 * query that started before an invalidation does not store its answer: it may have read the data
 * from before the change.
 */
export class ResponseCache {
  private readonly store: InMemoryLRUCache<string>;
  private generation = 0;
  private readonly generationAtStart = new WeakMap<GraphQLRequest, number>();
  /** The cache itself (@apollo/server-plugin-response-cache) and what tells it the generation. */
  readonly plugins: ApolloServerPlugin<GatewayContext>[];

  /**
   * `listening`: whether invalidations reach this replica now (its queue is bound). While they do
   * not the cache is bypassed; the owner empties it once they do again (use-response-cache.ts).
   */
  constructor(
    maxMiB: number,
    private readonly listening: () => boolean,
  ) {
    this.store = new InMemoryLRUCache<string>({ maxSize: maxMiB * 2 ** 20 });
    this.plugins = [
      {
        requestDidStart: async ({ request }) => {
          this.generationAtStart.set(request, this.generation);
          return {
            willSendResponse: async ({ operation, metrics }) => {
              if (operation?.operation !== 'query') return;
              responseCacheRequests.inc({ result: metrics.responseCacheHit ? 'hit' : 'miss' });
            },
          };
        },
      },
      responseCachePlugin<GatewayContext>({
        cache: this.store,
        shouldReadFromCache: async () => this.listening(),
        shouldWriteToCache: async ({ request }) =>
          this.listening() && this.generationAtStart.get(request) === this.generation,
      }),
    ];
  }

  invalidate(): void {
    this.generation++;
    this.store.clear();
  }
}
