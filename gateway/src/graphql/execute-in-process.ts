import type { ApolloServer } from '@apollo/server';
import type { DocumentNode, FormattedExecutionResult } from 'graphql';
import type { GatewayContext } from './gateway-context.js';

export interface OperationRequest {
  query: string | DocumentNode;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/**
 * Runs an operation through the same ApolloServer that serves /graphql (same plugins,
 * error masking and subgraph forwarding), without an HTTP round trip.
 */
export async function executeInProcess<TData>(
  apollo: ApolloServer<GatewayContext>,
  request: OperationRequest,
  context: GatewayContext,
): Promise<FormattedExecutionResult<TData>> {
  const response = await apollo.executeOperation<TData>(request, { contextValue: context });
  if (response.body.kind !== 'single') throw new Error('incremental delivery is not used in-process');
  return response.body.singleResult;
}
