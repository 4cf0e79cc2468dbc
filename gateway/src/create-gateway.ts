import { createServer, type Server } from 'node:http';
import { eventBusFromConfig } from '@shop/events';
import { createTokenService, type Logger, listenHost } from '@shop/platform/core';
import {
  createTokenVersionCheck,
  graphqlLimits,
  remoteTokenVersions,
  type TokenVersionLoader,
  withTokenVersionCheck,
} from '@shop/platform/http';
import express from 'express';
import { useResponseCache } from './cache/use-response-cache.js';
import { type GatewayConfig, routingOverrides } from './config.js';
import { authRateLimitPlugin } from './graphql/auth-rate-limit.plugin.js';
import { clientBudgetPlugin } from './graphql/client-budget.plugin.js';
import { startSupergraphServer } from './graphql/supergraph-server.js';
import { useGraphql } from './graphql/use-graphql.js';
import { useIde } from './graphql/use-ide.js';
import { usePersistedDocuments } from './graphql/use-persisted-documents.js';
import { clientReadLimits } from './http/client-read-limits.js';
import { listen } from './http/listen.js';
import { responseCompression } from './http/response-compression.js';
import { useEdge } from './http/use-edge.js';
import { countSubscriptions } from './metrics/gateway-metrics.js';
import { useRest } from './rest/use-rest.js';
import { declaredSubscriptions } from './subscriptions/declared-subscriptions.js';
import { SubscriptionFeed } from './subscriptions/subscription.feed.js';
import { createSubscriptionExecutor } from './subscriptions/subscription-executor.js';
import { useSseSubscriptions } from './subscriptions/use-sse-subscriptions.js';
import { type SubscriptionStats, useSubscriptions } from './subscriptions/use-subscriptions.js';
import { readSupergraph } from './supergraph/supergraph-file.js';
import { useTracker } from './tracker/use-tracker.js';

export interface Gateway {
  httpServer: Server;
  listen: (port: number) => Promise<number>;
  /** Open WebSocket connections, subscriptions and event listeners (leak checks, metrics). */
  subscriptionStats: () => SubscriptionStats;
  close: () => Promise<void>;
}

/** Assembles the gateway: each feature is its own module, mounted here in order. */
export async function createGateway(options: { config: GatewayConfig; log: Logger }): Promise<Gateway> {
  const { config, log } = options;
  const supergraph = await readSupergraph(config.SUPERGRAPH_PATH, routingOverrides(config));
  const { tokens, revocation } = revocableTokens(config, supergraph.subgraphs);
  const limits = graphqlLimits(config);
  const persistedDocuments = await usePersistedDocuments({
    manifestPath: config.PERSISTED_DOCUMENTS_PATH,
    only: config.PERSISTED_DOCUMENTS_ONLY,
    parse: limits.parse,
  });
  const bus = eventBusFromConfig(config, log, 'gateway');
  const feed = new SubscriptionFeed(declaredSubscriptions);
  await feed.listen(bus);
  const responseCache = await useResponseCache(bus, config.RESPONSE_CACHE_MIB);

  const httpServer = createServer(clientReadLimits(config));
  const { apollo, apiSchema, stop } = await startSupergraphServer({
    config,
    supergraph,
    httpServer,
    limits,
    log,
    plugins: [authRateLimitPlugin(config), clientBudgetPlugin(config, limits.cost), ...responseCache.plugins],
  });
  const app = express();
  const { clientIp, flushTraces } = await useEdge(app, {
    config,
    log,
    health: { apiSchema, broker: bus.readiness, subgraphs: supergraph.subgraphs },
  });
  if (config.RESPONSE_COMPRESSION) app.use(responseCompression());
  if (config.NODE_ENV !== 'production') useIde(app);
  useTracker(app);
  // One executor for both transports: subscribers asking the same share each event's query.
  const executor = createSubscriptionExecutor({
    apollo,
    apiSchema,
    feed,
    revocation,
    limits,
    requestTimeoutMs: config.REQUEST_TIMEOUT,
    allowsDocument: persistedDocuments.allows,
    log,
  });
  // Before /graphql, whose mount would take /graphql/stream too.
  const sse = useSseSubscriptions(app, {
    executor,
    tokens,
    bodyLimit: config.BODY_LIMIT_BYTES,
    maxStreamsPerIp: config.SSE_MAX_STREAMS_PER_IP,
    maxStreamsPerUser: config.SSE_MAX_STREAMS_PER_USER,
    stalledWriteMs: config.SSE_STALLED_WRITE_MS,
  });
  useGraphql(app, { apollo, tokens, bodyLimit: config.BODY_LIMIT_BYTES, persistedDocuments: persistedDocuments.http });
  useRest(app, { apollo, tokens, bodyLimit: config.BODY_LIMIT_BYTES });
  const subscriptions = useSubscriptions({
    httpServer,
    executor,
    tokens,
    clientIp,
    keepAliveMs: config.WS_KEEP_ALIVE_MS,
    maxSubscriptionsPerConnection: config.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxConnectionsPerIp: config.WS_MAX_CONNECTIONS_PER_IP,
    maxConnectionsPerUser: config.WS_MAX_CONNECTIONS_PER_USER,
    connectionInitTimeoutMs: config.WS_CONNECTION_INIT_TIMEOUT_MS,
    log,
  });
  // Streams over SSE are subscriptions too; `connections` stays the WebSocket count.
  const stats = (): SubscriptionStats => {
    const open = subscriptions.stats();
    return { ...open, subscriptions: open.subscriptions + sse.streams() };
  };
  const stopCounting = countSubscriptions(stats);
  httpServer.on('request', app);

  return {
    httpServer,
    listen: (port) => listen(httpServer, { port, host: listenHost(config) }, log),
    subscriptionStats: stats,
    // Sockets first (they would hold the HTTP server open), then HTTP (drained by Apollo), then the broker.
    close: async () => {
      stopCounting();
      // The feed's queue goes with the sockets: no subscriber is left to serve its events.
      await Promise.all([subscriptions.close(), sse.close(), bus.stopConsuming()]);
      await stop();
      await bus.close();
      await flushTraces();
    },
  };
}

/**
 * The edge's token check: signature and claims, then the token version against the users
 * subgraph's (cached TOKEN_VERSION_CACHE_MS), so a role change, password change or logout
 * everywhere refuses older access tokens at every door of the gateway: HTTP, REST and WebSocket.
 */
function revocableTokens(config: GatewayConfig, subgraphs: { name: string; url: string }[]) {
  const tokens = createTokenService(config);
  const users = subgraphs.find((subgraph) => subgraph.name === 'users');
  // Any valid supergraph serves anonymous callers; without a users subgraph no token can be checked, so none passes.
  const load: TokenVersionLoader = users
    ? remoteTokenVersions(users.url, tokens, 'gateway')
    : async () => {
        throw new Error('the supergraph has no users subgraph: token versions cannot be checked');
      };
  const revocation = createTokenVersionCheck({ load, cacheMs: config.TOKEN_VERSION_CACHE_MS });
  return { tokens: withTokenVersionCheck(tokens, revocation), revocation };
}
