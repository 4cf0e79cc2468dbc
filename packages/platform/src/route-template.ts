import type { Request } from 'express';

/**
 * The route a request matched, as a template (`/api/orders/:id`), never the raw path: ids in paths
 * would make one metric series or span name per id. The mount path is lower-cased: Express matches
 * `/GraphQL` to `/graphql` and keeps the client's casing in `baseUrl`, so each casing would be a
 * name of its own, thousands of them for one long path. Empty when no router took the request.
 */
export function routeTemplate(req: Request): string {
  // Unset on a request no router took (typed as a string all the same).
  const mount = (req.baseUrl ?? '').toLowerCase();
  return req.route ? `${mount}${String(req.route.path)}` : mount;
}
