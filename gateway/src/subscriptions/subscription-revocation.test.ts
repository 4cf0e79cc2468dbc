// A subscription outlives its socket's `connection_init`: a token revoked since (role change,
// password change, logout everywhere) ends it at the next event, never feeding it more; one that
// expires ends it then; and a socket whose token no longer holds opens no new subscription.
import { randomUUID } from 'node:crypto';
import { EventBus } from '@shop/events';
import { createTokenService } from '@shop/platform/core';
import {
  TEST_AMQP_URL as AMQP_URL,
  createTestTokens,
  eventually,
  silentLogger,
  TEST_TOKEN_SETTINGS,
} from '@shop/platform/testing';
import type { Client, ClientOptions } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { orderPaid, RecordingSubgraph, startGateway, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { type RecordedSubscription, recordSubscription, subscriptionClient } from './subscription.test-client.js';

const TTL_SECONDS = 60;
const tokens = createTestTokens();
// Expires well before the test tokens: a clock moved past it leaves theirs valid.
const shortLivedTokens = createTokenService({ ...TEST_TOKEN_SETTINGS, JWT_TTL_SECONDS: TTL_SECONDS });
const orderId = randomUUID();
const expiringOrderId = randomUUID();
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'revoke-test' });
let gateway: Gateway;
let base: string;
const clients: Client[] = [];
let revoked: RecordedSubscription;
let expiring: RecordedSubscription;

const WATCH = 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }';

/** A socket of its own, signed in with `token`, open from the start. */
const connect = (token: string, on: ClientOptions['on'] = {}): Client => {
  const client = subscriptionClient(base, token, { lazy: false, onNonLazyError: () => {}, on });
  clients.push(client);
  return client;
};
const watch = (client: Client, id: string) => recordSubscription(client, { query: WATCH, variables: { id } });
const orderQueries = () => subgraph.calls.filter((call) => call.body.query?.includes('order(')).length;
const unauthenticated = (message: string) => ({
  errors: [expect.objectContaining({ message, extensions: { code: 'UNAUTHENTICATED' } })],
});

beforeAll(async () => {
  const url = await subgraph.start();
  subgraph.answer = (call) => {
    const id = call.body.variables?.id ?? orderId;
    return { data: { orderStatusChanged: { id }, order: { id } } };
  };
  const started = await startGateway(url, { TOKEN_VERSION_CACHE_MS: '0' });
  gateway = started.gateway;
  base = started.base;
  revoked = watch(connect(await tokens.sign({ id: 'u1', role: 'CUSTOMER', tokenVersion: 0 })), orderId);
  expiring = watch(connect(await shortLivedTokens.sign({ id: 'u2', role: 'CUSTOMER' })), expiringOrderId);
  await eventually(() => gateway.subscriptionStats().feedListeners === 2, 10_000, 'both subscriptions listening');
  // The gateway's queue is bound asynchronously: publish until an event comes through to each.
  await eventually(
    async () => {
      if (revoked.messages.length === 0) await bus.publish(orderPaid(orderId));
      if (expiring.messages.length === 0) await bus.publish(orderPaid(expiringOrderId));
      return revoked.messages.length > 0 && expiring.messages.length > 0;
    },
    10_000,
    'a first event to each subscription',
  );
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await gateway?.close();
  await subgraph.close();
  await bus.close();
});

/** Publishes the next event of `id` and waits until `recorded` is completed; returns what came with it. */
async function lastAnswers(recorded: RecordedSubscription, id: string): Promise<unknown[]> {
  const served = recorded.messages.length;
  const live = gateway.subscriptionStats();
  await bus.publish(orderPaid(id));
  await eventually(recorded.completed, 10_000, 'the subscription completed');
  await eventually(
    () => {
      const now = gateway.subscriptionStats();
      return now.subscriptions === live.subscriptions - 1 && now.feedListeners === live.feedListeners - 1;
    },
    10_000,
    'its subscription and listener gone',
  );
  return recorded.messages.slice(served);
}

describe('a live subscription whose token no longer holds', () => {
  it('gets UNAUTHENTICATED at the next event after a revocation instead of the order, and is completed', async () => {
    expect(revoked.messages[0]).toEqual({ data: { orderStatusChanged: { id: orderId } } });
    subgraph.tokenVersions.set('u1', 1);
    const queriesBefore = orderQueries();
    expect(await lastAnswers(revoked, orderId)).toEqual([unauthenticated('Token revoked')]);
    expect(orderQueries()).toBe(queriesBefore);
  });

  it('gets UNAUTHENTICATED at the next event after its token expired, once, and is completed', async () => {
    expect(expiring.messages[0]).toEqual({ data: { orderStatusChanged: { id: expiringOrderId } } });
    // Only the clock moves: the gateway runs in this process, so it sees the token expired.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * TTL_SECONDS * 1000);
    try {
      const queriesBefore = orderQueries();
      expect(await lastAnswers(expiring, expiringOrderId)).toEqual([unauthenticated('Token expired')]);
      // The expired token never reached a subgraph, which would have refused it (an internal error).
      expect(orderQueries()).toBe(queriesBefore);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a live subscription whose token expires while no event comes', () => {
  it('ends at the expiry with UNAUTHENTICATED, without waiting for an event', async () => {
    const brief = createTokenService({ ...TEST_TOKEN_SETTINGS, JWT_TTL_SECONDS: 5 });
    const watched = randomUUID();
    const live = gateway.subscriptionStats();
    const queries = orderQueries();
    const recorded = watch(connect(await brief.sign({ id: 'u3', role: 'CUSTOMER' })), watched);
    await eventually(() => orderQueries() > queries, 10_000, 'the authorizing query');
    await eventually(recorded.completed, 20_000, 'the subscription completed at the expiry');
    expect(recorded.messages).toEqual([unauthenticated('Token expired')]);
    expect(orderQueries()).toBe(queries + 1);
    await eventually(
      () => gateway.subscriptionStats().feedListeners === live.feedListeners,
      10_000,
      'its listener gone',
    );
  }, 40_000);
});

describe('a subscribe on an open socket', () => {
  it('is refused with UNAUTHENTICATED once the socket’s token is revoked, before any subgraph call', async () => {
    let connected = false;
    const client = connect(await tokens.sign({ id: 'u3', role: 'CUSTOMER', tokenVersion: 0 }), {
      connected: () => {
        connected = true;
      },
    });
    await eventually(() => connected, 10_000, 'connection acknowledged');
    subgraph.tokenVersions.set('u3', 1);
    const callsBefore = subgraph.calls.length;
    const refused = watch(client, randomUUID());
    await eventually(refused.failure, 10_000, 'the subscribe answered');
    expect(refused.failure()).toEqual([
      expect.objectContaining({ message: 'Token revoked', extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
    expect(refused.messages).toEqual([]);
    expect(subgraph.calls.length).toBe(callsBefore);
  });
});
