import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { type TokenService, tokenExpiresAt, UnauthenticatedError } from '@shop/platform/core';
import { clientAddressKey } from '@shop/platform/http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import { graphqlErrorHandler } from '../graphql/use-graphql.js';
import { authenticate } from '../http/authenticate.middleware.js';
import { OpenCount } from './open-count.js';
import { internalError, type SubscriptionExecutor } from './subscription-executor.js';

/** graphql-sse's own path convention, beside the graphql-ws endpoint on /graphql. */
export const SSE_PATH = '/graphql/stream';

export interface SseSubscriptionDeps {
  executor: SubscriptionExecutor;
  tokens: TokenService;
  bodyLimit: number;
  /** Open streams per client address and per signed-in user (the WebSocket limits' counterparts). */
  maxStreamsPerIp: number;
  maxStreamsPerUser: number;
  /** How long an event may stay unsent before its stream is cut (`SSE_STALLED_WRITE_MS`). */
  stalledWriteMs: number;
}

type JsonResponse = [string, { status: number; statusText: string; headers: Record<string, string> }];
const refusal = (status: number, statusText: string, code: string, message: string, headers = {}): JsonResponse => [
  JSON.stringify({ errors: [{ message, extensions: { code } }] }),
  { status, statusText, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } },
];

/** The stream's one event. `data` must be there: graphql-sse reads a result without it as arguments to execute. */
const refused = (errors: readonly GraphQLError[]): ExecutionResult => ({ data: null, errors });

/**
 * The declared subscriptions over Server-Sent Events (the graphql-sse protocol), for clients a
 * WebSocket does not reach: a proxy that drops `Upgrade`, or many subscriptions multiplexed on one
 * HTTP/2 connection. Same documents, checks, authorization and payloads as graphql-ws
 * (subscription-executor.ts); the bearer token comes in the `Authorization` header of the request
 * that opens the stream, and a refusal after it (validation, NOT_FOUND…) is the stream's one event.
 */
export function useSseSubscriptions(
  app: Express,
  deps: SseSubscriptionDeps,
): { streams: () => number; close: () => Promise<void> } {
  const { executor } = deps;
  const perIp = new OpenCount();
  const perUser = new OpenCount();
  /** Each open stream's response, and what its end must do: stop reading the feed and give its places back. */
  const open = new Map<AsyncIterator<ExecutionResult>, { response: ServerResponse; end: () => Promise<void> }>();

  const handler = createHandler({
    // Distinct connections only: no request names a stream token, so graphql-sse's reservations
    // (PUT, then operations POSTed into the stream) answer 404. A reservation needs no token and
    // stays in graphql-sse's memory until a stream attaches and ends, so anyone could pile them up.
    authenticate: () => null,
    onSubscribe: async (req, params) => {
      const { locals } = req.context.res;
      if (!locals.principal) return refusal(401, 'Unauthorized', 'UNAUTHENTICATED', new UnauthenticatedError().message);
      const ip = perIp.take(clientAddressKey(locals.clientIp ?? 'unknown'), deps.maxStreamsPerIp);
      const user = ip && perUser.take(locals.principal.id, deps.maxStreamsPerUser);
      if (!ip || !user) {
        ip?.();
        return refusal(429, 'Too Many Requests', 'TOO_MANY_REQUESTS', 'Too many open streams; close one first', {
          'retry-after': '10',
        });
      }
      const release = () => {
        ip();
        user();
      };
      try {
        const session = {
          principal: locals.principal,
          authorization: locals.authorization,
          expiresAt: tokenExpiresAt(locals.authorization),
          clientIp: locals.clientIp,
        };
        const payload = { query: params.query, variables: params.variables, operationName: params.operationName };
        const started = await executor.start(session, randomUUID(), payload);
        if (!('results' in started)) {
          release();
          return refused(started);
        }
        return tracked(started.results, release, req.context.res);
      } catch (error) {
        release();
        // A contract error (UNAUTHENTICATED, BAD_REQUEST for what is not served…) as graphql-ws answers it.
        if (error instanceof GraphQLError) return refused([error]);
        const requestId = locals.requestId;
        locals.log.error({ err: error }, 'subscription failed to start');
        return refused([internalError(requestId)]);
      }
    },
  });

  /** The stream, counted in `open` until it ends: its last result, the client gone, or `close`. */
  function tracked(
    results: AsyncIterable<ExecutionResult>,
    release: () => void,
    response: ServerResponse,
  ): AsyncIterableIterator<ExecutionResult> {
    const iterator = results[Symbol.asyncIterator]();
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      open.delete(iterator);
      release();
      await iterator.return?.();
    };
    open.set(iterator, { response, end });
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: async () => {
        // graphql-sse takes the next result as soon as it has queued the last one, and queues without
        // bound: the next is taken once the last has gone to the socket, so that a client that does
        // not read leaves its backlog in its watcher stream, which ends it past MAX_UNREAD_RESULTS,
        // and its last event, waiting, is what `written` cuts it for.
        if (!(await written(response, deps.stalledWriteMs))) {
          await end();
          return { done: true, value: undefined };
        }
        const next = await iterator.next();
        if (next.done) await end();
        return next;
      },
      return: async () => {
        await end();
        return { done: true, value: undefined };
      },
      // graphql-sse returns an operation's stream on disconnect only when it looks like a generator.
      throw: async (error?: unknown) => {
        await end();
        throw error;
      },
    };
  }

  const serve: RequestHandler = async (req, res, next) => {
    // A proxy in front (nginx, an ingress) passes each event on at once instead of buffering the stream.
    res.setHeader('x-accel-buffering', 'no');
    try {
      await handler(req, res);
    } catch (error) {
      next(error);
    }
  };
  app.use(SSE_PATH, authenticate(deps.tokens), express.json({ limit: deps.bodyLimit }), serve, sseErrorHandler);

  return {
    streams: () => open.size,
    // Each stream is cut, not completed: graphql-sse's client takes a `complete` as the end of the
    // subscription, and a cut stream as a network error it retries, on another replica (as
    // graphql-ws clients reconnect after 1001).
    close: async () => {
      await Promise.all(
        [...open.values()].map(({ response, end }) => {
          response.destroy();
          return end();
        }),
      );
    },
  };
}

/** How often a stream whose last write is pending looks again. */
const WRITE_CHECK_MS = 50;

/**
 * Whether what was written to `response` has gone to the socket (graphql-sse writes an event at a
 * time and waits for it). False once the response is gone, or cut here because a write stayed
 * pending for `stalledMs`: the client stopped reading (the socket's buffers are full).
 */
async function written(response: ServerResponse, stalledMs: number): Promise<boolean> {
  // The event just queued is written a few microtasks later, and sent at the next tick (Node corks
  // a response's writes within one): looked at before, it would be the one before that.
  await setImmediate();
  const cutAt = Date.now() + stalledMs;
  while (response.writableLength > 0 && !response.destroyed) {
    if (Date.now() >= cutAt) {
      response.destroy();
      return false;
    }
    await sleep(WRITE_CHECK_MS);
  }
  return !response.destroyed;
}

/** A bad token or body before any stream opens: answered as on /graphql; once streaming, the stream just ends. */
const sseErrorHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) {
    res.end();
    return;
  }
  graphqlErrorHandler(error, req, res, next);
};
