import { createServer, type Server } from 'node:http';
import { createTokenService, type Logger, listenHost } from '@shop/platform/core';
import { graphqlLimits } from '@shop/platform/http';
import express from 'express';
import { startSupergraphServer } from '../graphql/supergraph-server.js';
import { useGraphql } from '../graphql/use-graphql.js';
import { clientReadLimits } from '../http/client-read-limits.js';
import { listen } from '../http/listen.js';
import { useEdge } from '../http/use-edge.js';
import { readSupergraph } from '../supergraph/supergraph-file.js';
import type { PlainGatewayConfig } from './plain-gateway.config.js';

export interface PlainGateway {
  httpServer: Server;
  listen: (port: number) => Promise<number>;
  close: () => Promise<void>;
}

/**
 * The gateway's GraphQL layer alone, for any supergraph (e.g. the federation audit's suites): the
 * same edge, execution, limits, error masking, subgraph fetcher and `/graphql` route as
 * createGateway, without what only the shop's own subgraphs have: no broker (subscriptions, response cache), no
 * REST shims, no tracker, no routing overrides. Ready once the supergraph is loaded: a foreign
 * subgraph has no `/health/ready` to ask.
 */
export async function createPlainGateway(options: { config: PlainGatewayConfig; log: Logger }): Promise<PlainGateway> {
  const { config, log } = options;
  const supergraph = await readSupergraph(config.SUPERGRAPH_PATH);
  const httpServer = createServer(clientReadLimits(config));
  const { apollo, apiSchema, stop } = await startSupergraphServer({
    config,
    supergraph,
    httpServer,
    limits: graphqlLimits(config),
    log,
  });
  const app = express();
  const { flushTraces } = await useEdge(app, { config, log, health: { apiSchema, subgraphs: [] } });
  useGraphql(app, { apollo, tokens: createTokenService(config), bodyLimit: config.BODY_LIMIT_BYTES });
  httpServer.on('request', app);
  return {
    httpServer,
    listen: (port) =>
      listen(httpServer, { port, host: listenHost(config) }, log, { supergraph: config.SUPERGRAPH_PATH }),
    close: async () => {
      await stop();
      await flushTraces();
    },
  };
}
