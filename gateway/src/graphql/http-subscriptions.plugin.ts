import type { ApolloServerPlugin } from '@apollo/server';
import { AppError } from '@shop/platform/core';
import { OperationTypeNode } from 'graphql';
import type { GatewayContext } from './gateway-context.js';

/** @apollo/gateway cannot execute subscriptions: say where they are served instead of failing inside. */
export const httpSubscriptionsPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return;
        throw new AppError('BAD_REQUEST', 'Subscriptions are served over WebSocket (graphql-ws) on /graphql', {
          http: { status: 400 },
        });
      },
    };
  },
};
