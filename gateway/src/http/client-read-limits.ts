import type { ServerOptions } from 'node:http';
import type { GatewayConfig } from '../config.js';

/**
 * Node's limits on reading a client's request (config.ts), for the full and the plain gateway. Headers are part of the request, so their
 * limit is at most the request's (Node refuses a larger one). Node checks them only every
 * `connectionsCheckingInterval` (30 s by default, which would let a 10 s limit run to 40 s). Idle
 * connections outlive the proxy's in front (HTTP_KEEP_ALIVE_TIMEOUT).
 */
export function clientReadLimits(
  config: Pick<GatewayConfig, 'HEADERS_READ_TIMEOUT' | 'REQUEST_READ_TIMEOUT' | 'HTTP_KEEP_ALIVE_TIMEOUT'>,
): ServerOptions {
  const headersTimeout = Math.min(config.HEADERS_READ_TIMEOUT, config.REQUEST_READ_TIMEOUT);
  return {
    headersTimeout,
    requestTimeout: config.REQUEST_READ_TIMEOUT,
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT,
  };
}
