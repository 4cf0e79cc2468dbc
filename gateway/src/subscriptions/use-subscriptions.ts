import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import {
  AppError,
  type Logger,
  type Principal,
  type TokenService,
  tokenExpiresAt,
  UnauthenticatedError,
} from '@shop/platform/core';
import { clientAddressKey } from '@shop/platform/http';
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode, makeServer, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { requestPath } from '../http/request-path.js';
import { type SocketExtra, serveGraphqlWs } from './graphql-ws.transport.js';
import { OpenCount } from './open-count.js';
import { internalError, type Session, type SubscriptionExecutor } from './subscription-executor.js';
import { UserSockets } from './user-sockets.js';

const PATH = '/graphql';
/** Close codes (graphql-ws keeps 4400–4499 for the protocol's refusals). */
const UNAUTHORIZED = 4401;
const TOO_MANY_CONNECTIONS = 4429;
/** WebSocket's "Try Again Later": a passing fault of ours, which graphql-ws clients retry. */
export const TRY_AGAIN_LATER = 1013;
/**
 * A subscribe message is a document within the token limit (a few kB) and its variables (an order
 * id): 64 KiB leaves room, and bounds what graphql-ws holds for each subscription while it lasts
 * (the message it was asked with, undeclared variables included).
 */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** What is open right now; all three return to zero when every client has gone. */
export interface SubscriptionStats {
  connections: number;
  subscriptions: number;
  feedListeners: number;
}

export interface SubscriptionDeps {
  httpServer: Server;
  executor: SubscriptionExecutor;
  tokens: TokenService;
  clientIp: (request: IncomingMessage) => string | undefined;
  keepAliveMs: number;
  maxSubscriptionsPerConnection: number;
  maxConnectionsPerIp: number;
  maxConnectionsPerUser: number;
  connectionInitTimeoutMs: number;
  log: Logger;
}

/**
 * graphql-ws on the HTTP server's `/graphql`, serving the feed's declared subscriptions through the
 * shared executor (subscription-executor.ts): the socket's session is settled once, at
 * `connection_init`, and each subscription started, authorized and fed by the executor.
 */
export function useSubscriptions(deps: SubscriptionDeps): {
  stats: () => SubscriptionStats;
  close: () => Promise<void>;
} {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let closing = false;
  const perIp = new OpenCount();
  const perUser = new UserSockets(deps.maxConnectionsPerUser, (authorization) =>
    deps.tokens.fromHeader(authorization).then(
      () => true,
      (error: unknown) => !(error instanceof UnauthenticatedError),
    ),
  );
  deps.httpServer.on('upgrade', (request, socket, head) => {
    if (closing || requestPath(request.url) !== PATH) {
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

  const { executor } = deps;
  /** Each started subscription's stream, from `onSubscribe` to `subscribe` (graphql-ws hands over the same arguments). */
  const streams = new WeakMap<ExecutionArgs, AsyncIterable<ExecutionResult>>();
  const start = async (session: Session | undefined, id: string, payload: SubscribePayload) => {
    const started = await executor.start(session, id, payload);
    if (!('results' in started)) return started;
    const args: ExecutionArgs = {
      schema: started.schema,
      document: started.document,
      operationName: payload.operationName,
      variableValues: payload.variables,
    };
    streams.set(args, started.results);
    return args;
  };

  let subscriptions = 0;
  /**
   * Each socket's subscriptions starting or open. Not graphql-ws's own map: a subscription the client
   * completes while it is starting leaves that map at once, and its authorizing query goes on.
   */
  const active = new WeakMap<object, number>();
  /**
   * Each socket's ids whose start is under way. graphql-ws lets a client complete an id and
   * subscribe it again while the first start runs: both would then start under one id, and the
   * first stream, overwritten in graphql-ws's map, would outlive the socket.
   */
  const starting = new WeakMap<object, Set<string>>();
  const server = makeServer<Record<string, unknown>, SocketExtra & { session?: Session }>({
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
        // Not the caller's fault (e.g. the users subgraph is down): logged as what it is, and closed as
        // passing, so that graphql-ws clients connect again (4500 would end their subscriptions for good).
        deps.log.error({ err: error }, 'websocket authentication failed');
        socket.close(TRY_AGAIN_LATER, 'Try again later');
        return false;
      }
      // Closed while its token was checked: its 'close' has fired, so a place taken now would never be given back.
      if (socket.readyState !== socket.OPEN) return false;
      if (principal) {
        if (!(await perUser.take(principal.id, socket, authorization))) {
          if (socket.readyState === socket.OPEN)
            socket.close(TOO_MANY_CONNECTIONS, 'Too many connections for this user');
          return false;
        }
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
      const ids = starting.get(ctx) ?? new Set<string>();
      starting.set(ctx, ids);
      if (ids.has(id)) {
        // As graphql-ws answers an id that is open: no client reuses an id it has not seen end.
        ctx.extra.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
        return [new AppError('BAD_REQUEST', `Subscription ${id} is still starting`)];
      }
      const count = (active.get(ctx) ?? 0) + 1;
      if (count > deps.maxSubscriptionsPerConnection) {
        return [
          new AppError(
            'BAD_REQUEST',
            `At most ${deps.maxSubscriptionsPerConnection} subscriptions per connection: complete one first`,
          ),
        ];
      }
      active.set(ctx, count);
      ids.add(id);
      const refused = (errors: readonly GraphQLError[]) => {
        active.set(ctx, (active.get(ctx) ?? 1) - 1);
        return errors;
      };
      try {
        const started = await start(ctx.extra.session, id, payload);
        // Started, it counts until onComplete; refused, it is done.
        return Array.isArray(started) ? refused(started) : started;
      } catch (error) {
        if (error instanceof GraphQLError) return refused([error]);
        const requestId = randomUUID();
        deps.log.error({ err: error, requestId }, 'subscription failed to start');
        return refused([internalError(requestId)]);
      } finally {
        ids.delete(id);
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
    onComplete: (ctx) => {
      subscriptions--;
      active.set(ctx, (active.get(ctx) ?? 1) - 1);
    },
  });
  const transport = serveGraphqlWs(wss, server, (socket, request) => ({ socket, request }), {
    keepAliveMs: deps.keepAliveMs,
    log: deps.log,
    clientIp: (request) => clientAddressKey(deps.clientIp(request) ?? 'unknown'),
  });

  return {
    stats: () => ({ connections: wss.clients.size, subscriptions, feedListeners: executor.feedListeners() }),
    close: async () => {
      closing = true;
      await transport.dispose(); // clients get 1001 Going away
    },
  };
}
