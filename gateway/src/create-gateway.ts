import { createServer, type Server } from 'node:http';
import { EventBus } from '@shop/events';
import { createTokenService, type Logger } from '@shop/platform';
import cors from 'cors';
import express from 'express';
import { type GatewayConfig, routingOverrides } from './config.js';
import { startSupergraphServer } from './graphql/supergraph-server.js';
import { useGraphql } from './graphql/use-graphql.js';
import { useHealth } from './health/use-health.js';
import { requestId } from './http/request-id.middleware.js';
import { useRest } from './rest/use-rest.js';
import { OrderStatusFeed } from './subscriptions/order-status.feed.js';
import { useSubscriptions } from './subscriptions/use-subscriptions.js';
import { readSupergraph } from './supergraph/supergraph-file.js';

export interface Gateway {
  httpServer: Server;
  listen: (port: number) => Promise<number>;
  close: () => Promise<void>;
}

/** Assembles the gateway: each feature is its own module, mounted here in order. */
export async function createGateway(options: { config: GatewayConfig; log: Logger }): Promise<Gateway> {
  const { config, log } = options;
  const supergraph = await readSupergraph(config.SUPERGRAPH_PATH, routingOverrides(config));
  const tokens = createTokenService(config);
  const bus = new EventBus({ url: config.AMQP_URL, exchange: config.AMQP_EXCHANGE, log, connectionName: 'gateway' });
  const feed = new OrderStatusFeed();
  await feed.listen(bus);

  const httpServer = createServer();
  const { apollo, apiSchema } = await startSupergraphServer({ supergraph, httpServer, log });
  const app = express();
  app.disable('x-powered-by');
  app.use(cors({ origin: config.CORS_ORIGINS, exposedHeaders: ['x-request-id'] }));
  useHealth(app, { broker: bus.readiness, subgraphs: supergraph.subgraphs });
  app.use(requestId(log));
  useGraphql(app, { apollo, tokens });
  useRest(app, { apollo, tokens });
  const subscriptions = useSubscriptions({ httpServer, apollo, apiSchema, feed, tokens, log });
  httpServer.on('request', app);

  return {
    httpServer,
    listen: (port) =>
      new Promise((resolve) => {
        httpServer.listen(port, () => {
          const address = httpServer.address();
          const actual = typeof address === 'object' && address ? address.port : port;
          log.info({ port: actual }, 'gateway listening');
          resolve(actual);
        });
      }),
    // Sockets first (they would hold the HTTP server open), then HTTP (drained by Apollo), then the broker.
    close: async () => {
      await subscriptions.close();
      await apollo.stop();
      await bus.close();
    },
  };
}
