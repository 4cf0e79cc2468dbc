// A subscription outlives its socket's `connection_init`: a token revoked since (role change,
// password change, logout everywhere) ends it at the next event, never feeding it more.
import { randomUUID } from 'node:crypto';
import { EventBus, orderUpdated } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, createTestTokens, silentLogger } from '@shop/platform/testing';
import { type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';
import { subscriptionClient } from './subscription.test-client.js';

const orderId = randomUUID();
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: 'shop.events', log: silentLogger, connectionName: 'revoke-test' });
let gateway: Gateway;
let client: Client;
const answers: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
let completed = false;

const event = () =>
  orderUpdated.create({ orderId, userId: 'u1', previousStatus: 'PENDING', status: 'PAID', paymentStatus: 'SUCCEEDED' });

beforeAll(async () => {
  const url = await subgraph.start();
  subgraph.answer = () => ({ data: { orderStatusChanged: { id: orderId }, order: { id: orderId } } });
  const started = await startGateway(url, { TOKEN_VERSION_CACHE_MS: '0' });
  gateway = started.gateway;
  const tokens = createTestTokens();
  client = subscriptionClient(started.base, await tokens.sign({ id: 'u1', role: 'CUSTOMER', tokenVersion: 0 }), {
    lazy: false,
    onNonLazyError: () => {},
  });
  client.subscribe(
    { query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }', variables: { id: orderId } },
    {
      next: (answer) => answers.push(answer),
      error: () => {},
      complete: () => {
        completed = true;
      },
    },
  );
  await vi.waitFor(() => expect(gateway.subscriptionStats().feedListeners).toBe(1), { timeout: 10_000 });
  // The gateway's queue is bound asynchronously: publish until an event comes through.
  for (let attempt = 0; attempt < 50 && answers.length === 0; attempt++) {
    await bus.publish(event());
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(0), { timeout: 200 }).catch(() => {});
  }
});
afterAll(async () => {
  await client?.dispose();
  await gateway?.close();
  await subgraph.close();
  await bus.close();
});

describe('a live subscription whose token is revoked', () => {
  it('gets UNAUTHENTICATED at the next event instead of the order, and is completed', async () => {
    expect(answers[0]).toEqual({ data: { orderStatusChanged: { id: orderId } } });
    const served = answers.length;
    subgraph.tokenVersions.set('u1', 1);
    const orderQueries = () => subgraph.calls.filter((call) => call.body.query?.includes('order(')).length;
    const queriesBefore = orderQueries();
    await bus.publish(event());
    await vi.waitFor(() => expect(completed).toBe(true), { timeout: 10_000 });
    expect(answers.slice(served)).toEqual([
      { errors: [expect.objectContaining({ message: 'Token revoked', extensions: { code: 'UNAUTHENTICATED' } })] },
    ]);
    expect(orderQueries()).toBe(queriesBefore);
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 }));
  });
});
