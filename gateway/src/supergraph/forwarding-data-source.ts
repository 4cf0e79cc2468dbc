import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayContext } from '../graphql/gateway-context.js';

/** Passes the caller's token, request id and address on to every subgraph call made for an operation. */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Only incoming operations have a caller; health checks and schema loads go out bare.
    if (!('incomingRequestContext' in options)) return;
    const { request, context } = options;
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    request.http?.headers.set('x-request-id', context.requestId);
    // Set (never passed through) by the gateway: subgraphs may rate-limit on it.
    if (context.clientIp) request.http?.headers.set('x-client-ip', context.clientIp);
  }
}
