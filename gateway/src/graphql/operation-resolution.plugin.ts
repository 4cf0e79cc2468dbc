import type { ApolloServerPlugin } from '@apollo/server';
import { AppError } from '@shop/platform/core';
import type { GatewayContext } from './gateway-context.js';

/**
 * A document whose operation cannot be chosen (several operations and no `operationName`, or a
 * name it does not contain) is the caller's mistake: @apollo/gateway would throw while planning,
 * which Apollo Server answers as a 500.
 */
export const operationResolutionPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        const message = request.operationName
          ? `Unknown operation named "${request.operationName}".`
          : 'Must provide operation name if query contains multiple operations.';
        throw new AppError('BAD_REQUEST', message, { http: { status: 400 } });
      },
    };
  },
};
