import type { IncomingMessage } from 'node:http';
import type { Express, RequestHandler } from 'express';
import proxyAddr from 'proxy-addr';

/**
 * Compiles `TRUST_PROXY` into the app (so `req.ip` agrees) and returns the resolver for any request,
 * WebSocket upgrades included: the socket's peer, or, walking X-Forwarded-For from the right, the
 * first address not vouched for by a trusted proxy (proxy-addr, as Express's `req.ip`).
 */
export function useTrustProxy(app: Express, trustProxy: string[]): (request: IncomingMessage) => string | undefined {
  app.set('trust proxy', trustProxy);
  const trust = proxyAddr.compile(trustProxy);
  return (request) => proxyAddr(request, trust);
}

/** Records the caller's address for the operation context (forwarded to subgraphs as `x-client-ip`). */
export function clientIpMiddleware(resolve: (request: IncomingMessage) => string | undefined): RequestHandler {
  return (req, res, next) => {
    res.locals.clientIp = resolve(req);
    next();
  };
}
