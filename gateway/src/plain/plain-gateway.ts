import { createServer, type Server } from 'node:http';
import { createTokenService, type Logger } from '@shop/platform/core';
import { graphqlLimits } from '@shop/platform/http';
import cors from 'cors';
import express from 'express';
import { startSupergraphServer } from '../graphql/supergraph-server.js';
import { useGraphql } from '../graphql/use-graphql.js';
import { useHealth } from '../health/use-health.js';
import { clientIpMiddleware, useTrustProxy } from '../http/client-ip.js';
import { listen } from '../http/listen.js';
import { requestDeadline } from '../http/request-deadline.middleware.js';
import { requestId } from '../http/request-id.middleware.js';
import { securityHeaders } from '../http/security-headers.js';
import { useMetrics } from '../metrics/use-metrics.js';
import { readSupergraph } from '../supergraph/supergraph-file.js';
import type { PlainGatewayConfig } from './plain-gateway.config.js';

export interface PlainGateway {
  httpServer: Server;
  listen: (port: number) => Promise<number>;
  close: () => Promise<void>;
}

/**
 * The gateway's GraphQL layer alone, for any supergraph (e.g. the federation audit's suites): the
 * same execution, limits, error masking, subgraph fetcher and `/graphql` route as createGateway,
 * without what only the shop's own subgraphs have: no broker (subscriptions, response cache), no
 * REST shims, no tracker, no routing overrides. Ready once the supergraph is loaded: a foreign
 * subgraph has no `/health/ready` to ask.
 */
export async function createPlainGateway(options: { config: PlainGatewayConfig; log: Logger }): Promise<PlainGateway> {
  const { config, log } = options;
  const supergraph = await readSupergraph(config.SUPERGRAPH_PATH);
  const httpServer = createServer();
  const { apollo, apiSchema, stop } = await startSupergraphServer({
    config,
    supergraph,
    httpServer,
    limits: graphqlLimits(config),
    log,
  });
  const app = express();
  app.use(securityHeaders());
  useMetrics(app);
  const clientIp = useTrustProxy(app, config.TRUST_PROXY);
  app.use(cors({ origin: config.CORS_ORIGINS, exposedHeaders: ['x-request-id'] }));
  useHealth(app, { apiSchema, subgraphs: [] });
  app.use(requestId(log), clientIpMiddleware(clientIp), requestDeadline(config.REQUEST_TIMEOUT));
  useGraphql(app, { apollo, tokens: createTokenService(config), bodyLimit: config.BODY_LIMIT_BYTES });
  httpServer.on('request', app);
  return {
    httpServer,
    listen: (port) => listen(httpServer, port, log, { supergraph: config.SUPERGRAPH_PATH }),
    close: () => stop(),
  };
}
