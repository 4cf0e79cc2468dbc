import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { mapAsyncIterator } from '@graphql-tools/utils';
import {
  AppError,
  type Logger,
  NotFoundError,
  type Principal,
  type TokenService,
  tokenExpiresAt,
  UnauthenticatedError,
} from '@shop/platform/core';
import type { GraphqlLimits } from '@shop/platform/http';
import { clientAddressKey, type TokenVersionCheck } from '@shop/platform/http';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  print,
} from 'graphql';
import { CloseCode, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { executeInProcess } from '../graphql/execute-in-process.js';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { NOT_IN_LIST, NOT_IN_LIST_MESSAGE } from '../graphql/use-persisted-documents.js';
import { NOTHING, skipNothing } from './skip-nothing.stream.js';
import { MISSED_EVENTS, RECHECK, type SubscriptionFeed } from './subscription.feed.js';
import { entityOf, subscriptionToQuery } from './subscription-to-query.js';

const PATH = '/graphql';
/** Close codes (graphql-ws keeps 4400–4499 for the protocol's refusals). */
const UNAUTHORIZED = 4401;
const TOO_MANY_CONNECTIONS = 4429;
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** A token's expiry is checked this long after it: a timer never fires early, the clock may differ. */
const EXPIRY_MARGIN_MS = 100;
/** setTimeout's longest delay (about 24.8 days); a later expiry is still checked at each event. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Who opened the socket, settled once in `onConnect` from `connectionParams.authorization`. */
interface Session {
  principal: Principal | null;
  /** When the token expires (ms since the epoch; null when anonymous): the socket may outlive it, no subscription does. */
  expiresAt: number | null;
  authorization: string | undefined;
  clientIp: string | undefined;
}

/** What is open right now; all three return to zero when every client has gone. */
export interface SubscriptionStats {
  connections: number;
  subscriptions: number;
  feedListeners: number;
}

export interface SubscriptionDeps {
  httpServer: Server;
  apollo: ApolloServer<GatewayContext>;
  apiSchema: () => GraphQLSchema;
  /** The declared subscriptions and their events. */
  feed: SubscriptionFeed;
  tokens: TokenService;
  /** Asked again at each subscribe and before each event: a token revoked since `connection_init` ends its subscriptions. */
  revocation: TokenVersionCheck;
  limits: GraphqlLimits;
  clientIp: (request: IncomingMessage) => string | undefined;
  keepAliveMs: number;
  /** Each query a subscription runs (authorization, each event's payload) has this long (REQUEST_TIMEOUT). */
  requestTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  maxConnectionsPerIp: number;
  maxConnectionsPerUser: number;
  connectionInitTimeoutMs: number;
  /** Allowlist mode (trusted documents): only these documents may subscribe. */
  allowsDocument?: (document: DocumentNode) => boolean;
  log: Logger;
}

/** Open sockets per key (client address, user); a key leaves the map with its last socket. */
class OpenCount {
  private readonly counts = new Map<string, number>();

  /** Counts one more unless `max` are open; the release function undoes it once. */
  take(key: string, max: number): (() => void) | undefined {
    const open = this.counts.get(key) ?? 0;
    if (open >= max) return undefined;
    this.counts.set(key, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
  }
}

/**
 * graphql-ws on the HTTP server's `/graphql`, serving the feed's declared subscriptions. Each
 * subscription is authorized by running its declaration's authorizing query once through the
 * supergraph (a subgraph decides, e.g. owner or admin), then runs its payload query for every event
 * of what it watches.
 */
export function useSubscriptions(deps: SubscriptionDeps): {
  stats: () => SubscriptionStats;
  close: () => Promise<void>;
} {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let closing = false;
  const perIp = new OpenCount();
  const perUser = new OpenCount();
  deps.httpServer.on('upgrade', (request, socket, head) => {
    if (closing || new URL(request.url ?? '/', 'http://gateway').pathname !== PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const address = clientAddressKey(deps.clientIp(request) ?? 'unknown');
    const release = perIp.take(address, deps.maxConnectionsPerIp);
    if (!release) {
      deps.log.info({ clientIp: address }, 'websocket refused: too many connections from this address');
      socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 10\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.once('close', release);
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.once('close', release);
      wss.emit('connection', ws, request);
    });
  });

  const run = async (
    query: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<ExecutionResult> => {
    try {
      const request = { query, operationName, variables };
      const deadline = Date.now() + deps.requestTimeoutMs;
      const result = await executeInProcess<Record<string, unknown>>(deps.apollo, request, { ...context, deadline });
      return { data: result.data, ...(result.errors ? { errors: result.errors.map(toGraphQLError) } : {}) };
    } catch (error) {
      context.log.error({ err: error }, 'subscription query failed');
      return { errors: [internalError(context.requestId)] };
    }
  };

  /**
   * One event reaches every subscriber of its order at once. Subscribers with the same caller,
   * document and variables share one execution per event (its log lines carry the first one's
   * request id): 10,000 subscribers on one order cost one query, not 10,000. Only while it runs.
   */
  const inFlight = new Map<string, Promise<ExecutionResult>>();
  const runShared = (key: string, execute: () => Promise<ExecutionResult>): Promise<ExecutionResult> => {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = execute();
      inFlight.set(key, pending);
      // run() never rejects: it answers failures as errors.
      void pending.then(() => inFlight.delete(key));
    }
    return pending;
  };

  /**
   * The socket's session while its token holds, else UnauthenticatedError. A socket is authenticated
   * once, at `connection_init`, and stays open while its token expires or is revoked: this is asked
   * when a subscription starts and again before each of its events.
   */
  const authenticated = async (session: Session | undefined): Promise<Session & { expiresAt: number }> => {
    const expiresAt = session?.principal ? session.expiresAt : null;
    if (!session?.principal || !expiresAt) throw new UnauthenticatedError();
    if (expiresAt <= Date.now()) throw new UnauthenticatedError('Token expired');
    await deps.revocation.assertCurrent(session.principal);
    return { ...session, expiresAt };
  };

  /** Each started subscription's stream, from `onSubscribe` to `subscribe` (graphql-ws hands over the same arguments). */
  const streams = new WeakMap<ExecutionArgs, AsyncIterable<ExecutionResult>>();

  const start = async (socketSession: Session | undefined, id: string, payload: SubscribePayload) => {
    const session = await authenticated(socketSession);
    const schema = deps.apiSchema();
    let document: DocumentNode;
    try {
      document = deps.limits.parse(payload.query);
    } catch (error) {
      return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
    }
    if (deps.allowsDocument && !deps.allowsDocument(document)) {
      return [new GraphQLError(NOT_IN_LIST_MESSAGE, { extensions: { code: NOT_IN_LIST } })];
    }
    const invalid = deps.limits.validate(schema, document, payload.variables, payload.operationName);
    if (invalid.length > 0) return invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
    const plan = subscriptionToQuery(
      schema,
      deps.feed.declarations,
      document,
      payload.operationName,
      payload.variables,
    );
    const requestId = randomUUID();
    const context: GatewayContext = { ...session, requestId, log: deps.log.child({ requestId, subscription: id }) };
    // Listening starts before the authorizing query, so no event can slip in between.
    const events = deps.feed.subscribe(plan.declaration, plan.topic);
    const first = await run(plan.authorization, plan.operationName, plan.variables(), context);
    // No answer means refused (FORBIDDEN, NOT_FOUND…); an error deeper down does not stop the subscription.
    if (!first.data?.[plan.responseKey]) {
      await events.return?.();
      return first.errors ?? [new NotFoundError(entityOf(schema, plan.declaration.authorize), plan.topic)];
    }
    const sameQuery = JSON.stringify([
      session.authorization ?? '',
      print(plan.payload),
      plan.operationName ?? '',
      payload.variables ?? null,
    ]);
    // What this subscriber was last sent, so that a catch-up sends only a change. The authorizing
    // query's answer counts when it is the payload query itself (orderStatusChanged's).
    let lastSent = plan.authorizesWithPayload ? JSON.stringify(first.data) : undefined;
    const catchUp = async (): Promise<ExecutionResult | typeof NOTHING> => {
      const answer = await runShared(`catch-up ${sameQuery}`, () =>
        run(plan.catchUp.query, plan.operationName, plan.variables(), context),
      );
      if (answer.errors) return answer;
      const payload = plan.catchUp.payloadOf(answer.data ?? {});
      const sent = JSON.stringify({ [plan.responseKey]: payload });
      if (payload === null || payload === undefined || sent === lastSent) return NOTHING;
      lastSent = sent;
      return { data: { [plan.responseKey]: payload } };
    };
    // At the token's expiry the subscription ends with UNAUTHENTICATED, without waiting for an event.
    const expiry = setTimeout(
      () => deps.feed.recheck(plan.declaration, plan.topic),
      Math.min(session.expiresAt - Date.now() + EXPIRY_MARGIN_MS, MAX_TIMER_MS),
    );
    expiry.unref();
    const results = skipNothing(
      mapAsyncIterator(events, async (item): Promise<ExecutionResult | typeof NOTHING> => {
        try {
          await authenticated(session);
        } catch (error) {
          if (!(error instanceof UnauthenticatedError)) {
            context.log.error({ err: error }, 'token version check failed');
            // A recheck asked for another subscriber's sake is not worth an error here: the next event checks again.
            return item === RECHECK ? NOTHING : { errors: [internalError(context.requestId)] };
          }
          // The last answer: the stream ends here, and graphql-ws completes the subscription.
          await events.return?.();
          return { errors: [error] };
        }
        if (item === RECHECK) return NOTHING;
        // A gap in the feed: events may have been missed, so the payload as it is now, if it changed.
        if (item === MISSED_EVENTS) return catchUp();
        const result = await runShared(`${item.id} ${sameQuery}`, () =>
          run(plan.payload, plan.operationName, plan.variables(item), context),
        );
        if (!result.errors) lastSent = JSON.stringify(result.data);
        return result;
      }),
      () => clearTimeout(expiry),
    );
    const args: ExecutionArgs = {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
    };
    streams.set(args, results);
    return args;
  };

  let subscriptions = 0;
  const server = useServer<Record<string, unknown>, { session: Session }>(
    {
      connectionInitWaitTimeout: deps.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (authorization !== undefined && typeof authorization !== 'string') return false;
        let principal: Principal | null;
        const socket = ctx.extra.socket;
        try {
          principal = await deps.tokens.fromHeader(authorization);
        } catch (error) {
          if (error instanceof UnauthenticatedError) return false; // a bad, expired or revoked token: 4403 Forbidden
          // Not the caller's fault (e.g. the users subgraph is down): logged, and closed as ours. Closed
          // here rather than thrown, since graphql-ws would print the error and, outside production,
          // send its message to the client as the close reason.
          deps.log.error({ err: error }, 'websocket authentication failed');
          socket.close(CloseCode.InternalServerError, 'Internal server error');
          return false;
        }
        if (principal) {
          const release = perUser.take(principal.id, deps.maxConnectionsPerUser);
          if (!release) {
            socket.close(TOO_MANY_CONNECTIONS, 'Too many connections for this user');
            return false;
          }
          socket.once('close', release);
        } else {
          // No subscription is open to anonymous callers: such a socket only lives to be told so.
          const timer = setTimeout(() => socket.close(UNAUTHORIZED, 'Unauthorized'), deps.connectionInitTimeoutMs);
          timer.unref();
          socket.once('close', () => clearTimeout(timer));
        }
        ctx.extra.session = {
          authorization,
          principal,
          expiresAt: tokenExpiresAt(authorization),
          clientIp: deps.clientIp(ctx.extra.request),
        };
        return true;
      },
      onSubscribe: async (ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        // graphql-ws has already counted this one in.
        if (Object.keys(ctx.subscriptions).length > deps.maxSubscriptionsPerConnection) {
          return [
            new AppError(
              'BAD_REQUEST',
              `At most ${deps.maxSubscriptionsPerConnection} subscriptions per connection: complete one first`,
            ),
          ];
        }
        try {
          return await start(ctx.extra.session, id, payload);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          const requestId = randomUUID();
          deps.log.error({ err: error, requestId }, 'subscription failed to start');
          return [internalError(requestId)];
        }
      },
      // Never graphql-js's own subscribe: `start` has made the stream.
      subscribe: (args) => {
        const stream = streams.get(args);
        if (!stream) throw new Error('subscription started without a stream');
        streams.delete(args);
        subscriptions++;
        return stream;
      },
      // Called once for every stream `subscribe` handed out, however it ends (complete, close, error).
      onComplete: () => {
        subscriptions--;
      },
    },
    wss,
    deps.keepAliveMs,
  );

  return {
    stats: () => ({ connections: wss.clients.size, subscriptions, feedListeners: deps.feed.totalListeners() }),
    close: async () => {
      closing = true;
      await server.dispose(); // clients get 1001 Going away
    },
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code },
  });
}

/** Apollo's answers are already formatted (and masked); graphql-ws sends GraphQLError instances. */
function toGraphQLError(formatted: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}

/** Masked, with the request id the log line carries, as on HTTP. */
const internalError = (requestId: string) =>
  new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
