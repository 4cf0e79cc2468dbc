import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { type Logger, NotFoundError, type Principal, UnauthenticatedError } from '@shop/platform/core';
import { documentMemo, type GraphqlLimits, operationKey, type TokenVersionCheck } from '@shop/platform/http';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import pLimit from 'p-limit';
import { executeInProcess } from '../graphql/execute-in-process.js';
import { clientBudget, type GatewayContext } from '../graphql/gateway-context.js';
import { NOT_IN_LIST, NOT_IN_LIST_MESSAGE } from '../graphql/use-persisted-documents.js';
import { SharedWatch, type Watcher } from './shared-watch.js';
import { type FeedItem, MISSED_EVENTS, RECHECK, type SubscriptionFeed } from './subscription.feed.js';
import { entityOf, type SubscriptionQuery, subscriptionToQuery } from './subscription-to-query.js';

/** A token's expiry is checked this long after it: a timer never fires early, the clock may differ. */
const EXPIRY_MARGIN_MS = 100;
/** setTimeout's longest delay (about 24.8 days); a later expiry is still checked at each event. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * How many watches catch up at once after a gap in the feed (a broker reconnect reaches them all
 * together): 10,000 watches would otherwise be 10,000 token checks and queries in one burst, queued
 * on the subgraph connections, timing out and opening the circuits that ordinary requests use too.
 */
const CATCH_UPS_AT_ONCE = 16;

/** Who subscribes, settled once per connection (graphql-ws) or request (SSE) from its bearer token. */
export interface Session {
  principal: Principal | null;
  /** When the token expires (ms since the epoch; null when anonymous): the connection may outlive it, no subscription does. */
  expiresAt: number | null;
  authorization: string | undefined;
  clientIp: string | undefined;
}

/** A subscription authorized and listening: its results, one per event, until the caller stops reading. */
export interface StartedSubscription {
  results: AsyncIterable<ExecutionResult>;
  schema: GraphQLSchema;
  document: DocumentNode;
}

export interface SubscriptionExecutorDeps {
  apollo: ApolloServer<GatewayContext>;
  apiSchema: () => GraphQLSchema;
  /** The declared subscriptions and their events. */
  feed: SubscriptionFeed;
  /** Asked again at each subscribe and before each event: a revoked token ends its subscriptions. */
  revocation: TokenVersionCheck;
  limits: GraphqlLimits;
  /** Each query a subscription runs (authorization, each event's payload) has this long (REQUEST_TIMEOUT). */
  requestTimeoutMs: number;
  /** Allowlist mode (trusted documents): only these documents may subscribe. */
  allowsDocument?: (document: DocumentNode) => boolean;
  log: Logger;
}

/**
 * The transport-free part of serving a declared subscription, one for graphql-ws and SSE: the
 * document checked as /graphql checks one, the subscription authorized by running its declaration's
 * authorizing query once through the supergraph (a subgraph decides, e.g. owner or admin), then its
 * payload query run for every event of what it watches, shared between subscribers asking the same
 * (over either transport).
 */
export interface SubscriptionExecutor {
  start: (
    session: Session | undefined,
    id: string,
    payload: SubscribePayload,
  ) => Promise<StartedSubscription | readonly GraphQLError[]>;
  /** Event listeners open on the feed, one per shared watch (leak checks, metrics). */
  feedListeners: () => number;
}

export function createSubscriptionExecutor(deps: SubscriptionExecutorDeps): SubscriptionExecutor {
  const catchUpTurns = pLimit(CATCH_UPS_AT_ONCE);
  // A document subscribed again with the same variables (10,000 clients watching alike) is planned once.
  const planOf = documentMemo(
    (schema, document, operationName: SubscribePayload['operationName'], variables: SubscribePayload['variables']) =>
      subscriptionToQuery(schema, deps.feed.declarations, document, operationName, variables),
    (operationName, variables) => operationKey(variables, operationName),
  );
  const run = async (
    query: string,
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

  const start = async (
    callerSession: Session | undefined,
    id: string,
    payload: SubscribePayload,
  ): Promise<StartedSubscription | readonly GraphQLError[]> => {
    const session = await authenticated(callerSession);
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
    const plan = planOf(schema, document, payload.operationName, payload.variables);
    // A catch-up through another field (paymentStatusChanged's, through the order) is one level
    // deeper and costlier than the document: refused now, not at every catch-up after a reconnect.
    if (plan.catchUp.query !== plan.payload) {
      let refused: readonly GraphQLError[];
      try {
        const catchUp = deps.limits.parse(plan.catchUp.query);
        refused = deps.limits.validate(schema, catchUp, plan.variables(), plan.operationName);
      } catch (error) {
        refused = [error as GraphQLError]; // past the token limit
      }
      if (refused.length > 0) return refused.map((error) => catchUpRefused(error, plan.declaration.field));
    }
    const requestId = randomUUID();
    const context: GatewayContext = { ...session, requestId, log: deps.log.child({ requestId, subscription: id }) };
    const key = JSON.stringify([
      plan.declaration.field,
      plan.topic,
      session.authorization ?? '',
      plan.payload,
      plan.operationName ?? '',
      payload.variables ?? null,
    ]);
    // Joining (and so listening) comes before the authorizing query, so no event can slip in between.
    const watcher = (watches.get(key) ?? openWatch(key, plan, session, context)).join();
    // Asked for by the client, it spends the client's cost budget as a query over HTTP would, and at
    // least what the subscription's own document costs: each event runs its selection, unbudgeted.
    const cost = deps.limits.cost(schema, document, payload.variables, payload.operationName);
    const budget = {
      ...clientBudget(session.principal, session.clientIp),
      atLeast: typeof cost === 'number' ? cost : 0,
    };
    const first = await run(plan.authorization, plan.operationName, plan.variables(), { ...context, budget });
    // No answer means refused (FORBIDDEN, NOT_FOUND…); an error deeper down does not stop the subscription.
    if (!first.data?.[plan.responseKey]) {
      await watcher.results.return();
      return first.errors ?? [new NotFoundError(entityOf(schema, plan.declaration.authorize), plan.topic)];
    }
    if (plan.sendsCurrent) {
      // `current: true`: the payload as it is now comes first (the authorizing answer when it is the
      // payload query, else the catch-up's), unless an event has been delivered meanwhile: that one
      // is as new. A client that subscribes again after a reconnect so misses nothing.
      const now = plan.authorizesWithPayload ? first : await current(plan, context);
      if (watcher.lastSent === undefined && now) send([watcher], now);
    } else if (plan.authorizesWithPayload) {
      // The authorizing query's answer counts as sent when it is the payload query itself
      // (orderStatusChanged's), unless an event has been delivered meanwhile.
      watcher.lastSent ??= JSON.stringify(first.data);
    }
    return { results: watcher.results, schema, document };
  };

  /**
   * Subscribers with the same token, document and variables share a watch (shared-watch.ts): one
   * listener on the feed, and for each event one token check and one execution (its log lines carry
   * the first subscriber's request id), delivered to all. Its token is theirs, so it expires and is
   * revoked for all of them at once.
   */
  const watches = new Map<string, SharedWatch>();
  const openWatch = (
    key: string,
    plan: SubscriptionQuery,
    session: Session & { expiresAt: number },
    context: GatewayContext,
  ): SharedWatch => {
    const events = deps.feed.subscribe(plan.declaration, plan.topic);
    // At the token's expiry the subscriptions end with UNAUTHENTICATED, without waiting for an event.
    const expiry = setTimeout(
      () => deps.feed.recheck(plan.declaration, plan.topic),
      Math.min(session.expiresAt - Date.now() + EXPIRY_MARGIN_MS, MAX_TIMER_MS),
    );
    expiry.unref();
    const watch = new SharedWatch(() => {
      if (watches.get(key) === watch) watches.delete(key);
      clearTimeout(expiry);
      void events.return?.();
    });
    watches.set(key, watch);
    deliver(watch, events, plan, session, context).catch((error: unknown) => {
      context.log.error({ err: error }, 'subscription delivery failed');
      watch.end({ errors: [internalError(context.requestId)] });
    });
    return watch;
  };

  const deliver = async (
    watch: SharedWatch,
    events: AsyncIterableIterator<FeedItem>,
    plan: SubscriptionQuery,
    session: Session & { expiresAt: number },
    context: GatewayContext,
  ): Promise<void> => {
    for await (const item of events) {
      const handle = () => deliverOne(item, watch, plan, session, context);
      // A gap reaches every watch at once: their token checks and catch-up queries take turns, and a
      // watch whose subscribers all left while it waited (a shutdown, say) gives its turn up.
      const ended =
        item === MISSED_EVENTS ? await catchUpTurns(() => (watch.isOpen ? handle() : true)) : await handle();
      if (ended) return;
    }
  };

  /** One feed item to a watch's subscribers; true when it ended the watch. */
  const deliverOne = async (
    item: FeedItem,
    watch: SharedWatch,
    plan: SubscriptionQuery,
    session: Session & { expiresAt: number },
    context: GatewayContext,
  ): Promise<boolean> => {
    const recipients = watch.recipients();
    try {
      await authenticated(session);
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        // The last answer: the streams end here, and the transports complete the subscriptions.
        watch.end({ errors: [error] });
        return true;
      }
      context.log.error({ err: error }, 'token version check failed');
      // A recheck asked for another subscriber's sake is not worth an error here: the next event checks again.
      if (item !== RECHECK) send(recipients, { errors: [internalError(context.requestId)] });
      return false;
    }
    if (item === RECHECK) return false;
    // A gap in the feed: events may have been missed, so the payload as it is now, to those it changed for.
    if (item === MISSED_EVENTS) await catchUp(recipients, plan, context);
    else send(recipients, await run(plan.payload, plan.operationName, plan.variables(item), context));
    return false;
  };

  /** The payload as it is now (the catch-up query's), or undefined when there is none (no payment yet). */
  const current = async (plan: SubscriptionQuery, context: GatewayContext): Promise<ExecutionResult | undefined> => {
    const answer = await run(plan.catchUp.query, plan.operationName, plan.variables(), context);
    if (answer.errors) return answer;
    const payload = plan.catchUp.payloadOf(answer.data ?? {});
    return payload === null || payload === undefined ? undefined : { data: { [plan.responseKey]: payload } };
  };

  const catchUp = async (recipients: Watcher[], plan: SubscriptionQuery, context: GatewayContext) => {
    const now = await current(plan, context);
    if (!now || now.errors) return now && send(recipients, now);
    const sent = JSON.stringify(now.data);
    send(
      recipients.filter((watcher) => watcher.lastSent !== sent),
      now,
      sent,
    );
  };

  return { start, feedListeners: () => deps.feed.totalListeners() };
}

/** One result to each recipient; an answer without errors (its JSON `sent`) becomes what each was last sent. */
function send(
  recipients: readonly Watcher[],
  result: ExecutionResult,
  sent = result.errors ? undefined : JSON.stringify(result.data),
): void {
  for (const watcher of recipients) {
    if (sent !== undefined) watcher.lastSent = sent;
    watcher.results.push(result);
  }
}

/** A limit the catch-up query passes over, told as the subscription's own. */
const catchUpRefused = (error: GraphQLError, field: string): GraphQLError =>
  withCode(
    new GraphQLError(`${error.message} Counted on the query that catches ${field} up after a gap, through its parent.`),
    'GRAPHQL_VALIDATION_FAILED',
  );

export function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code },
  });
}

/** Apollo's answers are already formatted (and masked); the transports send GraphQLError instances. */
function toGraphQLError(formatted: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}

/** Masked, with the request id the log line carries, as on HTTP. */
export const internalError = (requestId: string) =>
  new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
