import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import { Counter } from 'prom-client';
import type { GatewayContext } from './gateway-context.js';

const coalescedOperations = new Counter({
  name: 'gateway_coalesced_operations_total',
  help: 'Queries that waited for the answer of an identical query of the same caller already executing',
});

/** The leader's answer; undefined when it cannot be shared (an incremental delivery). */
interface Shared {
  result: FormattedExecutionResult;
  status: number | undefined;
}

/**
 * Whole-operation coalescing: while a query executes, an identical one (same document, operation
 * name and variables) from the same caller (same `Authorization` header and client address, the
 * two things the gateway forwards to subgraphs about who asks) waits for its answer instead of
 * being planned and fetched again. Only queries: mutations and subscriptions always run on their own.
 * Only requests that came over HTTP (`/graphql`): what the gateway runs in-process (the REST shims,
 * a subscription's queries) keeps its own lifecycle, and subscriptions already share one query per
 * event among subscribers of one caller and selection.
 *
 * Nothing outlives the leading request: once it has answered, the next identical query executes
 * anew, so an answer (an error too) goes only to the requests that were waiting for it. A follower
 * gets its own copy of the result's top level: per-request additions (the error's request id,
 * errorReportingPlugin) do not reach the others. A follower waits no longer than its own deadline
 * (REQUEST_TIMEOUT, or less when its client asks for less), whatever the leader's is. Placed after
 * the response cache, whose hits come first.
 *
 * A shared answer without errors is the same bytes for every request that waited for it, so
 * `stringifyResult` (ApolloServer's option) writes its JSON once, for all of them: serialising a
 * large answer again per request cost more than everything else the followers did.
 */
export function operationCoalescing(): OperationCoalescing {
  const inFlight = new Map<string, Promise<Shared | undefined>>();
  // The data of a shared answer → its JSON, once written; held no longer than the data itself.
  const serialised = new WeakMap<object, string | undefined>();
  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      let share: ((shared: Shared | undefined) => void) | undefined;
      return {
        async responseForOperation(requestContext) {
          if (requestContext.operation?.operation !== 'query' || !requestContext.request.http) return null;
          const key = coalescingKey(requestContext);
          const pending = inFlight.get(key);
          if (pending) {
            coalescedOperations.inc();
            const shared = await untilDeadline(pending, requestContext.contextValue.deadline);
            // The leader's answer could not be shared, or this request's own deadline came first:
            // it executes itself (out of time, it answers as any request out of time does).
            if (!shared) return null;
            return {
              http: { status: shared.status, headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { ...shared.result } },
            };
          }
          let resolve: (shared: Shared | undefined) => void = () => {};
          inFlight.set(
            key,
            new Promise((done) => {
              resolve = done;
            }),
          );
          share = (shared) => {
            inFlight.delete(key);
            resolve(shared);
          };
          return null;
        },
        // Apollo Server calls this for every request that got past responseForOperation, failed or not.
        async willSendResponse({ response }) {
          if (!share) return;
          const body = response.body;
          if (body.kind !== 'single') {
            share(undefined);
          } else {
            const result = body.singleResult;
            if (isPlainData(result)) serialised.set(result.data, undefined);
            share({ result: { ...result }, status: response.http.status });
          }
          share = undefined;
        },
      };
    },
  };
  return {
    plugin,
    stringifyResult(result) {
      if (!isPlainData(result) || !serialised.has(result.data)) return prettyJson(result);
      const written = serialised.get(result.data);
      if (written !== undefined) return written;
      const json = prettyJson(result);
      serialised.set(result.data, json);
      return json;
    },
  };
}

export interface OperationCoalescing {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** For ApolloServer's `stringifyResult`: Apollo's own format, a shared answer written once. */
  stringifyResult: (result: FormattedExecutionResult) => string;
}

/** Apollo Server's JSON for an answer (its default `stringifyResult`). */
const prettyJson = (result: FormattedExecutionResult) => `${JSON.stringify(result)}\n`;

/** Data and nothing else: no errors or extensions, which carry per-request details (a request id). */
const isPlainData = (
  result: FormattedExecutionResult,
): result is FormattedExecutionResult & { data: Record<string, unknown> } =>
  result.errors === undefined &&
  result.extensions === undefined &&
  typeof result.data === 'object' &&
  result.data !== null;

function coalescingKey({ request, contextValue, queryHash, operationName }: GraphQLRequestContext<GatewayContext>) {
  return JSON.stringify([
    contextValue.authorization ?? '',
    contextValue.clientIp ?? '',
    queryHash,
    operationName ?? '',
    request.variables ?? {},
  ]);
}

/** The leader's answer, or undefined once `deadline` (epoch ms) has passed without it. */
function untilDeadline<T>(pending: Promise<T | undefined>, deadline: number | undefined): Promise<T | undefined> {
  if (deadline === undefined) return pending;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([pending, expired]).finally(() => clearTimeout(timer));
}
