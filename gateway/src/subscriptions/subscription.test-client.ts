import type { EventBus, EventEnvelope } from '@shop/events';
import { createTestTokens } from '@shop/platform/testing';
import { type Client, type ClientOptions, createClient, type SubscribePayload } from 'graphql-ws';
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../create-gateway.js';
import { type RecordingSubgraph, type SubgraphCall, startGateway } from '../gateway.test-fixture.js';

/**
 * A graphql-ws client of the gateway at `gatewayUrl` (its HTTP base, `http://host:port`), signed
 * in with `token` when one is given, that never reconnects: a test sees every close as it happened.
 */
export function subscriptionClient(
  gatewayUrl: string,
  token?: string,
  options: Partial<Omit<ClientOptions, 'url' | 'connectionParams'>> = {},
): Client {
  return createClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    ...options,
  });
}

/**
 * A test file's set-up: the gateway over `subgraph` (started here), and a graphql-ws client signed
 * in as the customer u1; `close` stops all three.
 */
export async function gatewayWithCustomer(
  subgraph: RecordingSubgraph,
  env: Record<string, string> = {},
): Promise<{ gateway: Gateway; client: Client; close: () => Promise<void> }> {
  const started = await startGateway(await subgraph.start(), env);
  const token = await createTestTokens().sign({ id: 'u1', role: 'CUSTOMER' });
  const client = subscriptionClient(started.base, token, { lazy: false, onNonLazyError: () => {} });
  const close = async () => {
    await client.dispose();
    await started.gateway.close();
    await subgraph.close();
  };
  return { gateway: started.gateway, client, close };
}

/** What one subscription has received so far. */
export interface RecordedSubscription {
  /** Every `next` payload, in order (tests read them loosely, as JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: payloads are whatever the test's query selects
  messages: any[];
  /** The `error` the server answered (GraphQL errors), or the close event of a refused socket. */
  failure: () => unknown;
  /** Whether the server has completed it. */
  completed: () => boolean;
}

/** Subscribes `client` to `payload` and records what arrives; `onChange` hears every message and failure. */
export function recordSubscription(
  client: Client,
  payload: SubscribePayload,
  onChange: () => void = () => {},
): RecordedSubscription {
  let failure: unknown;
  let completed = false;
  const recorded: RecordedSubscription = { messages: [], failure: () => failure, completed: () => completed };
  client.subscribe(payload, {
    next: (message) => {
      recorded.messages.push(message);
      onChange();
    },
    error: (error) => {
      failure = error;
      onChange();
    },
    complete: () => {
      completed = true;
    },
  });
  return recorded;
}

/**
 * The `orderStatusChanged` payload with `status` among what `recorded` has received, for
 * `eventually`; until then it throws with everything received so far (the error a timeout reports).
 */
export function statusUpdate(recorded: RecordedSubscription, status: string): Record<string, unknown> {
  const update = recorded.messages.find((message) => message.data?.orderStatusChanged?.status === status);
  if (update) return update.data.orderStatusChanged;
  const failure = recorded.failure();
  throw new Error(
    `no ${status} update yet; received ${JSON.stringify(recorded.messages)}${failure ? `, failed: ${JSON.stringify(failure) ?? String(failure)}` : ''}`,
  );
}

/**
 * A RecordingSubgraph's answers to paymentStatusChanged as the orders and payments subgraphs answer
 * u1: `ownOrder` is its own (every payment of it in `status`), any other order is NOT_FOUND.
 */
export function paymentSubscriptionAnswers(ownOrder: string, status: string) {
  return (call: SubgraphCall) => {
    const variables = call.body.variables ?? {};
    if (call.body.query?.includes('payment(')) {
      return { data: { paymentStatusChanged: { id: variables.payment_id, status } } };
    }
    if (variables.id === ownOrder) return { data: { paymentStatusChanged: { id: ownOrder } } };
    return {
      data: { paymentStatusChanged: null },
      errors: [{ message: `Order ${variables.id} not found`, extensions: { code: 'NOT_FOUND' } }],
    };
  };
}

/**
 * Publishes `event` until `delivered()` says it came through, at most 50 times 200 ms: the
 * gateway's fan-out queue is bound asynchronously after it starts, so the first may find none.
 */
export async function publishUntilDelivered(
  bus: EventBus,
  event: EventEnvelope,
  delivered: () => boolean,
): Promise<void> {
  for (let attempt = 0; attempt < 50 && !delivered(); attempt++) {
    await bus.publish(event);
    await vi.waitFor(() => expect(delivered()).toBe(true), { timeout: 200 }).catch(() => {});
  }
}
