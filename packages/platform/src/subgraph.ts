import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isIP } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { gql } from 'graphql-tag';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { authChecker, type BaseContext, type TokenService } from './auth.js';
import { maskError } from './errors.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { logContextMiddleware } from './log-context.js';
import type { Logger } from './logger.js';
import { collectProcessMetrics, graphqlMetricsPlugin, httpMetrics, metricsRouter } from './metrics.js';
import { startTracing } from './tracing.js';
import { traceRequests } from './tracing-http.js';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])';

/** What every resolver and reference resolver receives; services come first in every call. */
export interface RequestContext<S = unknown> extends BaseContext {
  requestId: string;
  log: Logger;
  /** The caller's own header, forwarded when a subgraph asks another on the caller's behalf. */
  authorization: string | undefined;
  /** The end client's address (brute-force limits): the gateway's `x-client-ip`, else the direct peer. */
  clientIp: string;
  services: S;
}

export type ReferenceResolvers = Record<
  string,
  // biome-ignore lint/suspicious/noExplicitAny: each entity has its own reference and context type
  { __resolveReference: (reference: any, context: any) => unknown }
>;

export interface SubgraphDefinition {
  name: string;
  // biome-ignore lint/complexity/noBannedTypes: type-graphql takes resolver classes
  resolvers: NonEmptyArray<Function>;
  // biome-ignore lint/complexity/noBannedTypes: type-graphql takes type classes
  orphanedTypes?: Function[];
  references?: ReferenceResolvers;
  /** SDL this subgraph declares but does not execute (the gateway serves `Subscription`). */
  extraSdl?: string;
}

/** type-graphql schema → SDL with federation directives → @apollo/subgraph schema. */
export async function buildFederatedSchema(definition: SubgraphDefinition): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: definition.resolvers,
    orphanedTypes: definition.orphanedTypes,
    authChecker,
    skipCheck: true,
    validate: false,
  });
  const typeDefs = gql(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}\n${definition.extraSdl ?? ''}`);
  const resolvers = createResolversMap(schema) as Record<string, object>;
  for (const [typeName, reference] of Object.entries(definition.references ?? {})) {
    resolvers[typeName] = { ...resolvers[typeName], ...reference };
  }
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as never });
}

/** The subgraph's SDL as composition sees it (no server or database needed). */
export async function printSubgraphSdl(definition: SubgraphDefinition): Promise<string> {
  return printSubgraphSchema(await buildFederatedSchema(definition));
}

export interface StartSubgraphOptions<S> {
  definition: SubgraphDefinition;
  port: number;
  services: S;
  tokens: TokenService;
  log: Logger;
  readiness: ReadinessCheck[];
}

export interface RunningServer {
  server: Server;
  close: () => Promise<void>;
}

/** Subgraphs sit behind the gateway, which sets `x-client-ip`; anything that is not an IP is ignored. */
function clientIp(req: IncomingMessage): string {
  const forwarded = req.headers['x-client-ip'];
  const value = typeof forwarded === 'string' ? forwarded.trim() : '';
  return isIP(value) ? value : (req.socket.remoteAddress ?? 'unknown');
}

export async function startSubgraph<S>(options: StartSubgraphOptions<S>): Promise<RunningServer> {
  const { definition, log, tokens, services } = options;
  // Here rather than in each main.ts; a process that started tracing already keeps its own.
  const tracing = await startTracing(definition.name);
  const httpServer = createServer();
  const apollo = new ApolloServer<RequestContext<S>>({
    schema: await buildFederatedSchema(definition),
    includeStacktraceInErrorResponses: false,
    // onShutdown owns the signals: Apollo's own handler re-raises SIGTERM before the other closers ran.
    stopOnTerminationSignals: false,
    formatError: (formatted, original) =>
      maskError(formatted, (masked, error) => log.error({ err: error, path: masked.path }, 'internal error'), original),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      graphqlMetricsPlugin(),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  collectProcessMetrics(definition.name);
  app.use(httpMetrics(), metricsRouter(), healthRouter(definition.name, options.readiness));
  app.use(
    '/graphql',
    traceRequests(),
    express.json({ limit: '1mb' }),
    (req, res, next) => {
      res.locals.requestId = req.header('x-request-id') ?? randomUUID();
      next();
    },
    logContextMiddleware((res) => res.locals.requestId),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId: string = res.locals.requestId;
        const authorization = req.header('authorization');
        return {
          principal: await tokens.fromHeader(authorization),
          requestId,
          // The request id comes from the log context (logContextMixin), on this logger's lines and any other's.
          log,
          authorization,
          clientIp: clientIp(req),
          services,
        };
      },
    }),
  );
  httpServer.on('request', app);
  await new Promise<void>((resolve) => httpServer.listen(options.port, resolve));
  log.info({ port: options.port }, `${definition.name} subgraph listening`);
  return {
    server: httpServer,
    close: async () => {
      await apollo.stop();
      await tracing.flush();
    },
  };
}
