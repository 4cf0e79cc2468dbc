import type { IncomingMessage } from 'node:http';
import type { Express, RequestHandler } from 'express';

/** Express's compiled `trust proxy` setting: is the address at this hop a proxy we trust? */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * The caller's address: the socket's peer, or, walking X-Forwarded-For from the right, the first
 * address not vouched for by a trusted proxy (what Express's `req.ip` does, for WebSockets too).
 */
export function clientIp(request: IncomingMessage, trust: TrustProxy): string | undefined {
  const forwarded = request.headers['x-forwarded-for'];
  const header = Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '');
  const hops = [
    request.socket.remoteAddress,
    ...header
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .reverse(),
  ];
  for (let hop = 0; hop < hops.length - 1; hop++) {
    const address = hops[hop];
    if (!address || !trust(address, hop)) return address;
  }
  return hops[hops.length - 1];
}

/** Compiles `TRUST_PROXY` into the app (so `req.ip` agrees) and returns the resolver for any request. */
export function useTrustProxy(app: Express, trustProxy: string[]): (request: IncomingMessage) => string | undefined {
  app.set('trust proxy', trustProxy);
  const trust = app.get('trust proxy fn') as TrustProxy;
  return (request) => clientIp(request, trust);
}

/** Records the caller's address for the operation context (forwarded to subgraphs as `x-client-ip`). */
export function clientIpMiddleware(resolve: (request: IncomingMessage) => string | undefined): RequestHandler {
  return (req, res, next) => {
    res.locals.clientIp = resolve(req);
    next();
  };
}
