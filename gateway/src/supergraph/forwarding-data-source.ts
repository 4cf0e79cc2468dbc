import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ServiceUnavailableError } from '@shop/platform/core';
import { DeadlineExceededError, REQUEST_TIMEOUT_HEADER } from '@shop/platform/http';
import { inClientSpan, injectTraceHeaders } from '@shop/platform/telemetry';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { subgraphFetchDuration } from '../metrics/gateway-metrics.js';
import type { SubgraphCircuits } from './subgraph-circuits.js';
import { PROXY_FAILURES, SubgraphTimeoutError } from './subgraph-fetcher.js';

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;
type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type SubgraphError = { message?: unknown; extensions?: { code?: unknown; fields?: unknown } };

/**
 * Passes the caller's token, request id, address, trace context and remaining time on to every
 * subgraph call made for an operation; each call is a client span named after the subgraph.
 */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** `subgraph`: the subgraph's name in the supergraph (metrics label); `circuits`: its circuit breaker, if on. */
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly subgraph: string,
    private readonly circuits?: SubgraphCircuits,
  ) {
    super(config);
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Only incoming operations have a caller; health checks and schema loads go out bare.
    if (!('incomingRequestContext' in options)) return;
    const { request, context } = options;
    // Runs inside process()'s client span: the subgraph's server span becomes its child.
    for (const [name, value] of Object.entries(injectTraceHeaders({}))) request.http?.headers.set(name, value);
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    request.http?.headers.set('x-request-id', context.requestId);
    // Set (never passed through) by the gateway: subgraphs may rate-limit on it.
    if (context.clientIp) request.http?.headers.set('x-client-ip', context.clientIp);
    // What is left of the operation's budget; the fetcher waits no longer (nor than SUBGRAPH_TIMEOUT).
    if (context.deadline !== undefined) {
      const left = context.deadline - Date.now();
      if (left <= 0) throw new ServiceUnavailableError(new DeadlineExceededError(`subgraph ${this.subgraph}`));
      request.http?.headers.set(REQUEST_TIMEOUT_HEADER, String(left));
    }
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const end = subgraphFetchDuration.startTimer({ subgraph: this.subgraph });
    const attributes = { 'subgraph.name': this.subgraph, 'http.request.method': 'POST', 'url.full': this.url };
    return inClientSpan(`subgraph ${this.subgraph}`, attributes, async (span) => {
      try {
        const send = () => super.process(options);
        const response = this.circuits
          ? await this.circuits.run(this.subgraph, send, (error) => isSubgraphFailure(error, options.context))
          : await send();
        end({ outcome: response.errors?.length ? 'graphql_errors' : 'ok' });
        if (response.errors?.length) span.setAttribute('graphql.error.count', response.errors.length);
        return response;
      } catch (error) {
        end({ outcome: 'failed' });
        throw error;
      }
    });
  }

  /**
   * A subgraph refuses a value the gateway cannot check itself (a custom scalar such as `Decimal`)
   * with HTTP 400 and a BAD_USER_INPUT error: that is the caller's mistake, relayed as such, where
   * Apollo's default would turn it into an internal error. Any other failure stays internal.
   */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const error = await super.errorFromResponse(response);
    const body = (error.extensions.response as { body?: { errors?: SubgraphError[] } } | undefined)?.body;
    const refusal = response.status === 400 ? body?.errors?.find(isInputRefusal) : undefined;
    if (!refusal) return error;
    const fields = Array.isArray(refusal.extensions?.fields) ? refusal.extensions.fields : [];
    return new GraphQLError(String(refusal.message), { extensions: { code: 'BAD_USER_INPUT', fields } });
  }
}

/**
 * A failure that is the subgraph's (for its circuit breaker): no answer (refused, reset), a proxy's
 * 502/503/504, or a wait that ran out when the caller had not asked for less time than the gateway
 * gives. Not: a deadline spent before the call, GraphQL errors, a refused input.
 */
function isSubgraphFailure(error: unknown, context: Partial<GatewayContext>): boolean {
  if (error instanceof ServiceUnavailableError) {
    if (error.cause instanceof DeadlineExceededError) return false;
    return !(error.cause instanceof SubgraphTimeoutError && context.deadlineFromClient);
  }
  const status = (error as GraphQLError).extensions?.response as { status?: number } | undefined;
  return status?.status !== undefined && PROXY_FAILURES.has(status.status);
}

/** Variable coercion (BAD_USER_INPUT) or a literal refused by a scalar during validation. */
const isInputRefusal = (error: SubgraphError): boolean =>
  typeof error.message === 'string' &&
  (error.extensions?.code === 'BAD_USER_INPUT' ||
    (error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && Array.isArray(error.extensions.fields)));
