import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { subgraphFetchDuration } from '../metrics/gateway-metrics.js';

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Passes the caller's token, request id and address on to every subgraph call made for an operation. */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** `subgraph`: the subgraph's name in the supergraph (metrics label). */
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly subgraph: string,
  ) {
    super(config);
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Only incoming operations have a caller; health checks and schema loads go out bare.
    if (!('incomingRequestContext' in options)) return;
    const { request, context } = options;
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    request.http?.headers.set('x-request-id', context.requestId);
    // Set (never passed through) by the gateway: subgraphs may rate-limit on it.
    if (context.clientIp) request.http?.headers.set('x-client-ip', context.clientIp);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const end = subgraphFetchDuration.startTimer({ subgraph: this.subgraph });
    try {
      const response = await super.process(options);
      end({ outcome: response.errors?.length ? 'graphql_errors' : 'ok' });
      return response;
    } catch (error) {
      end({ outcome: 'failed' });
      throw error;
    }
  }
}
