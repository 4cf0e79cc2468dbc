import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import express from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { gql } from 'graphql-tag';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { z } from 'zod';
import type { BaseContext, TokenService } from './auth.js';
import { keepAliveShape, listenHost } from './config.js';
import { maskError, ServiceUnavailableError, UnauthenticatedError } from './errors.js';
import { createGatewayRequestSigner, SIGNATURE_HEADER, SIGNED_AT_HEADER } from './gateway-signature.js';
import { graphqlHttpHandler } from './graphql-http.js';
import { type GraphqlLimitSettings, graphqlLimits, graphqlLimitsShape } from './graphql-limits.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { logContextMiddleware } from './log-context.js';
import type { Logger } from './logger.js';
import { collectProcessMetrics, graphqlMetricsPlugin, httpMetrics, metricsRouter } from './metrics.js';
import type { SystemContext } from './periodic-job.js';
import { deadlineFromHeader, REQUEST_TIMEOUT_HEADER } from './request-deadline.js';
import { authChecker } from './resolver-guards.js';
import { HTTP_DRAIN_MS } from './shutdown.js';
import type { TokenVersionCheck } from './token-versions.js';
import { startTracing } from './tracing.js';
import { traceRequests } from './tracing-http.js';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])';

/** What every resolver and reference resolver receives; services come first in every call. */
export interface RequestContext<S = unknown> extends BaseContext, SystemContext {
  /** The caller's own header, forwarded when a subgraph asks another on the caller's behalf. */
  authorization: string | undefined;
  /** The end client's address (brute-force limits): the gateway's signed `x-client-ip`, else the direct peer. */
  clientIp: string;
  /** When the caller stops waiting (epoch ms), if it said (REQUEST_TIMEOUT_HEADER): work past it is for nobody. */
  deadline?: number;
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

/** What a subgraph's own door needs: the gateway's signing secrets, the operation limits, the idle connections' time. */
export type SubgraphSecurity = GraphqlLimitSettings & {
  GATEWAY_SIGNING_SECRETS: string[];
  HTTP_KEEP_ALIVE_TIMEOUT: number;
  LISTEN_HOST?: string | undefined;
};

export interface StartSubgraphOptions<S> {
  definition: SubgraphDefinition;
  /**
   * The process's configuration (or its security part). Without it the default limits apply and
   * no `x-client-ip` is believed: every caller is its direct peer.
   */
  config?: SubgraphSecurity;
  port: number;
  services: S;
  tokens: TokenService;
  /**
   * The revocation check for requests the gateway did not sign (a call straight to this port, or
   * from another subgraph on a caller's behalf): gateway-signed ones were checked at the edge.
   * Without it, such a request's token is believed until it expires.
   */
  revocation?: TokenVersionCheck;
  log: Logger;
  /**
   * Whether an error thrown while resolving means the database did not answer (DatabaseHandle):
   * answered SERVICE_UNAVAILABLE, which the client may retry, instead of an internal error.
   */
  databaseUnavailable?: (error: unknown) => boolean;
  /** What `/health/ready` needs up (503 otherwise). */
  readiness: ReadinessCheck[];
  /** What it shows beside them without deciding readiness (`degraded` while one is down). */
  reported?: ReadinessCheck[];
}

export interface RunningServer {
  server: Server;
  close: () => Promise<void>;
  /** The spans still buffered, sent (at most 2 s): shutdown's last step. */
  flushTraces: () => Promise<void>;
}

/** What the gateway's signature vouches for; null when the request is unsigned or forged. */
type GatewayClaims = (req: IncomingMessage, res: ServerResponse) => { clientIp: string } | null;

/**
 * Subgraphs sit behind the gateway, which tells them the client's address in `x-client-ip` and
 * signs the request (HMAC, `GATEWAY_SIGNING_SECRETS`). An unsigned, forged or stale claim is
 * ignored: the caller is then its direct peer, so calling a subgraph port directly with a new
 * `x-client-ip` each time does not escape the per-address limits.
 */
function gatewayClaims(secrets: string[], log: Logger): GatewayClaims {
  const signer = secrets.length > 0 ? createGatewayRequestSigner(secrets) : undefined;
  return (req, res) => {
    const claimed = req.headers['x-client-ip'];
    if (claimed === undefined) return null;
    const value = typeof claimed === 'string' ? claimed.trim() : '';
    const signature = req.headers[SIGNATURE_HEADER];
    const signedAt = req.headers[SIGNED_AT_HEADER];
    const trusted =
      isIP(value) !== 0 &&
      signer?.verify(
        {
          method: req.method ?? '',
          path: (req as { originalUrl?: string }).originalUrl ?? req.url ?? '',
          clientIp: value,
          authorization: req.headers.authorization ?? '',
          body: rawBodies.get(res) ?? '',
        },
        {
          signature: typeof signature === 'string' ? signature : undefined,
          signedAt: typeof signedAt === 'string' ? signedAt : undefined,
        },
      );
    if (trusted) return { clientIp: value };
    log.warn({ peer: req.socket.remoteAddress, claimed: value.slice(0, 64) }, 'unsigned or forged x-client-ip ignored');
    return null;
  };
}

/** The raw JSON body of each request, for the signature check (keyed by the response: one per request). */
const rawBodies = new WeakMap<ServerResponse, Buffer>();
const defaultSecurity: SubgraphSecurity = {
  ...z.object({ ...graphqlLimitsShape, ...keepAliveShape }).parse({}),
  NODE_ENV: 'production',
  GATEWAY_SIGNING_SECRETS: [],
};

/**
 * A request refused while its context is built (a malformed or revoked token, users not answering
 * the revocation check) answers with the HTTP status its code means, as the gateway answers the same
 * refusals: 401, or 503 with Retry-After. Apollo Server answers 500 to any other error thrown there.
 */
function refusalWithStatus(error: unknown): never {
  if (error instanceof UnauthenticatedError) error.extensions.http = { status: 401 };
  if (error instanceof ServiceUnavailableError) {
    const retryAfter = String(error.extensions.retryAfter);
    error.extensions.http = { status: 503, headers: new HeaderMap([['retry-after', retryAfter]]) };
  }
  throw error;
}

export async function startSubgraph<S>(options: StartSubgraphOptions<S>): Promise<RunningServer> {
  const { definition, log, tokens, services } = options;
  const security = options.config ?? defaultSecurity;
  const limits = graphqlLimits(security);
  const signedBy = gatewayClaims(security.GATEWAY_SIGNING_SECRETS, log);
  // Here rather than in each main.ts; a process that started tracing already keeps its own.
  const tracing = await startTracing(definition.name);
  const httpServer = createServer({ keepAliveTimeout: security.HTTP_KEEP_ALIVE_TIMEOUT });
  // A database that did not answer is told as another service that did not: retry shortly.
  const databaseBusy = (error: unknown) =>
    options.databaseUnavailable?.(error) ? new ServiceUnavailableError(error) : undefined;
  const apollo = new ApolloServer<RequestContext<S>>({
    schema: await buildFederatedSchema(definition),
    includeStacktraceInErrorResponses: false,
    // The gateway's limits again: this port must not be a way around them.
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // onShutdown owns the signals: Apollo's own handler re-raises SIGTERM before the other closers ran.
    stopOnTerminationSignals: false,
    formatError: (formatted, original) => {
      const logged = (masked: GraphQLFormattedError, error: unknown) =>
        log.error({ err: error, path: masked.path }, 'internal error');
      const busy = databaseBusy(unwrapResolverError(original));
      if (!busy) return maskError(formatted, logged, original);
      return maskError({ ...formatted, message: busy.message, extensions: { ...busy.extensions } }, logged, busy);
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: HTTP_DRAIN_MS }),
      ApolloServerPluginInlineTraceDisabled(),
      graphqlMetricsPlugin(),
      ...limits.plugins,
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  collectProcessMetrics(definition.name);
  app.use(httpMetrics(), metricsRouter(), healthRouter(definition.name, options.readiness, options.reported));
  app.use(
    '/graphql',
    traceRequests(),
    express.json({ limit: '1mb', verify: (_req, res, body) => rawBodies.set(res as ServerResponse, body) }),
    (req, res, next) => {
      res.locals.requestId = req.header('x-request-id') ?? randomUUID();
      next();
    },
    logContextMiddleware((res) => res.locals.requestId),
    graphqlHttpHandler(apollo, async ({ req, res }) => {
      const requestId: string = res.locals.requestId;
      const authorization = req.header('authorization');
      const gateway = signedBy(req, res);
      const principal = await tokens.fromHeader(authorization).catch(refusalWithStatus);
      if (principal && !gateway) {
        // The users subgraph checks against its own database, which may not answer either.
        await options.revocation
          ?.assertCurrent(principal)
          .catch((error: unknown) => refusalWithStatus(databaseBusy(error) ?? error));
      }
      return {
        principal,
        requestId,
        // The request id comes from the log context (logContextMixin), on this logger's lines and any other's.
        log,
        authorization,
        clientIp: gateway?.clientIp ?? req.socket.remoteAddress ?? 'unknown',
        deadline: deadlineFromHeader(req.header(REQUEST_TIMEOUT_HEADER)),
        services,
      };
    }),
  );
  httpServer.on('request', app);
  await new Promise<void>((resolve) => httpServer.listen(options.port, listenHost(security), resolve));
  log.info({ port: options.port }, `${definition.name} subgraph listening`);
  return {
    server: httpServer,
    close: () => apollo.stop(),
    // Last, after the closers that matter to the shop: a slow collector must not hold them up.
    flushTraces: tracing.flush,
  };
}
