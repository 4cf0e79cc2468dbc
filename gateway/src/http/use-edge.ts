import type { IncomingMessage } from 'node:http';
import type { Logger } from '@shop/platform/core';
import cors from 'cors';
import type { Express } from 'express';
import type { GatewayConfig } from '../config.js';
import { useHealth } from '../health/use-health.js';
import { useMetrics } from '../metrics/use-metrics.js';
import { useTracing } from '../tracing/use-tracing.js';
import { clientIpMiddleware, useTrustProxy } from './client-ip.js';
import { requestDeadline } from './request-deadline.middleware.js';
import { requestId } from './request-id.middleware.js';
import { securityHeaders } from './security-headers.js';

export interface Edge {
  /** The caller's address for any request, WebSocket upgrades included (TRUST_PROXY applied). */
  clientIp: (request: IncomingMessage) => string | undefined;
  /** Sends the buffered spans; run on close. */
  flushTraces: () => Promise<void>;
}

/**
 * What every answer of a gateway (full or plain) passes before its route, in this order: security
 * headers, the metrics guard, the caller's address, CORS, the health checks (answered before
 * tracing and request ids: probes are neither traced nor logged), then tracing, request id, client
 * address and deadline for everything else. One sequence, so the two gateways cannot drift apart.
 */
export async function useEdge(
  app: Express,
  options: {
    config: Pick<GatewayConfig, 'TRUST_PROXY' | 'CORS_ORIGINS' | 'REQUEST_TIMEOUT'>;
    log: Logger;
    health: Parameters<typeof useHealth>[1];
  },
): Promise<Edge> {
  const { config, log } = options;
  app.use(securityHeaders());
  useMetrics(app);
  const clientIp = useTrustProxy(app, config.TRUST_PROXY);
  app.use(
    cors({
      origin: config.CORS_ORIGINS,
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy'],
    }),
  );
  useHealth(app, options.health);
  const flushTraces = await useTracing(app);
  app.use(requestId(log), clientIpMiddleware(clientIp), requestDeadline(config.REQUEST_TIMEOUT));
  return { clientIp, flushTraces };
}
