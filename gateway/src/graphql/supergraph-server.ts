import type { Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { HTTP_DRAIN_MS, type Logger, maskError } from '@shop/platform/core';
import type { GraphqlLimits } from '@shop/platform/http';
import { graphqlMetricsPlugin } from '@shop/platform/telemetry';
import type { GraphQLSchema } from 'graphql';
import { ForwardingDataSource } from '../supergraph/forwarding-data-source.js';
import { circuitSettingsFrom, SubgraphCircuits } from '../supergraph/subgraph-circuits.js';
import { type SubgraphFetcherConfig, subgraphFetcherFromConfig } from '../supergraph/subgraph-fetcher.js';
import type { Supergraph } from '../supergraph/supergraph-file.js';
import { codeClientErrors, errorReportingPlugin, stripInternals } from './error-reporting.plugin.js';
import type { GatewayContext } from './gateway-context.js';
import { httpSubscriptionsPlugin } from './http-subscriptions.plugin.js';
import { operationCoalescing } from './operation-coalescing.plugin.js';
import { operationResolutionPlugin } from './operation-resolution.plugin.js';

export interface SupergraphServer {
  apollo: ApolloServer<GatewayContext>;
  /** The client-facing schema the gateway serves, to validate what it executes itself (subscriptions). */
  apiSchema: () => GraphQLSchema;
  /** Drains and stops Apollo, then closes the subgraph connections. */
  stop: () => Promise<void>;
}

/** The settings of the GraphQL layer that both gateways (the shop's and the plain one) read. */
export interface SupergraphServerConfig extends SubgraphFetcherConfig {
  NODE_ENV: string;
  QUERY_PLAN_CACHE_MIB: number;
  /** Identical queries of one caller in flight together execute once (operation-coalescing.plugin.ts). */
  OPERATION_COALESCING: boolean;
  /** A subgraph failing more than half its calls is refused calls for a while (subgraph-circuits.ts). */
  SUBGRAPH_CIRCUIT_BREAKER: boolean;
  SUBGRAPH_CIRCUIT_MIN_CALLS: number;
  SUBGRAPH_CIRCUIT_ERROR_PERCENT: number;
  SUBGRAPH_CIRCUIT_WINDOW: number;
  SUBGRAPH_CIRCUIT_OPEN: number;
}

/**
 * ApolloServer over @apollo/gateway, executing operations against the composed supergraph through
 * the subgraph fetcher (keep-alive pool, deduplication, signed calls) behind a circuit breaker per
 * subgraph; introspection outside production.
 */
export async function startSupergraphServer(options: {
  config: SupergraphServerConfig;
  supergraph: Supergraph;
  httpServer: Server;
  limits: GraphqlLimits;
  log: Logger;
  /** Feature plugins (the response cache), after the gateway's own. */
  plugins?: ApolloServerPlugin<GatewayContext>[];
}): Promise<SupergraphServer> {
  const { config, supergraph, httpServer, limits, log } = options;
  const fetcher = subgraphFetcherFromConfig(config);
  const circuits = config.SUBGRAPH_CIRCUIT_BREAKER ? new SubgraphCircuits(log, circuitSettingsFrom(config)) : undefined;
  const routingUrls = new Map(supergraph.subgraphs.map((subgraph) => [subgraph.name, subgraph.url]));
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.sdl,
    buildService: ({ name, url }) =>
      new ForwardingDataSource({ url: routingUrls.get(name) ?? url, fetcher: fetcher.fetcher }, name, circuits),
    experimental_approximateQueryPlanStoreMiB: config.QUERY_PLAN_CACHE_MIB,
    logger: log,
  });
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate((schema) => {
    apiSchema = schema.apiSchema;
  });
  const coalescing = config.OPERATION_COALESCING ? operationCoalescing() : undefined;
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.NODE_ENV !== 'production',
    csrfPrevention: true,
    // Unset (Apollo's own) without coalescing.
    stringifyResult: coalescing?.stringifyResult,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // onShutdown owns the signals: Apollo's own handler would re-raise SIGTERM mid-shutdown.
    stopOnTerminationSignals: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // Internal errors were logged, with the request id, by errorReportingPlugin.
    formatError: (formatted, original) =>
      stripInternals(maskError(codeClientErrors(formatted, original), () => {}, original)),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: HTTP_DRAIN_MS }),
      // Apollo's default landing page loads from a CDN; the gateway serves its own IDE (useIde).
      ApolloServerPluginLandingPageDisabled(),
      httpSubscriptionsPlugin,
      operationResolutionPlugin,
      errorReportingPlugin,
      graphqlMetricsPlugin<GatewayContext>(),
      ...limits.plugins,
      ...(options.plugins ?? []),
      // Last: a response cache hit answers before a query waits for an identical one.
      ...(coalescing ? [coalescing.plugin] : []),
    ],
  });
  await apollo.start();
  return {
    apollo,
    apiSchema: () => {
      if (!apiSchema) throw new Error('supergraph schema not loaded');
      return apiSchema;
    },
    stop: async () => {
      await apollo.stop();
      circuits?.close();
      await fetcher.close();
    },
  };
}
