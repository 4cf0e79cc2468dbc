/**
 * Cache hints (`@cacheControl`), read by Apollo Server's cache-control plugin, which answers each
 * request with `Cache-Control: max-age=N, public` for the most restrictive hint of what it
 * resolved. The gateway's response cache keeps a response as long as every subgraph it touched
 * allows; subgraphs without hints (everything private) make it uncacheable.
 */
export const CACHE_CONTROL_SDL = `
enum CacheControlScope @inaccessible {
  PUBLIC
  PRIVATE
}

directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
`;

/**
 * Seconds public catalogue data may be served from a cache. Changes of products evict it
 * (product.changed), so this only bounds staleness when an invalidation is lost.
 */
export const CATALOG_MAX_AGE = 60;

/**
 * Stock moves with every order, too often to evict caches on (the gateway's ignores stock changes):
 * `inventory`, and lists filtered by `inStock`, are shown stale for at most this long.
 * Reservations never oversell anyway.
 */
export const STOCK_MAX_AGE = 10;
