// graphql-ws, as a web or mobile app uses it: `connectionParams.authorization` carries the token.
import { recordSubscription, subscriptionClient } from '../../gateway/src/subscriptions/subscription.test-client.js';
import { contractStack } from './contract-stack.js';
import type { Json } from './gateway.client.js';

export interface Subscription {
  /** Every `next` payload so far. */
  messages: Json[];
  /** The `error` the server answered (GraphQL errors), or the close event of a refused socket. */
  failure: () => Json | undefined;
  /** Waits until something (a message or a failure) arrived; false when `timeoutMs` passed first. */
  settled: (timeoutMs: number) => Promise<boolean>;
  close: () => Promise<void>;
}

export function subscribe(query: string, variables: Record<string, unknown>, token?: string): Subscription {
  const client = subscriptionClient(contractStack().gatewayUrl, token);
  let wake = () => {};
  const { messages, failure } = recordSubscription(client, { query, variables }, () => wake());
  return {
    messages,
    failure: () => failure() as Json | undefined,
    settled: (timeoutMs) =>
      new Promise((resolve) => {
        if (messages.length > 0 || failure() !== undefined) return resolve(true);
        const timer = setTimeout(() => resolve(false), timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      }),
    close: () => client.dispose() as Promise<void>,
  };
}
