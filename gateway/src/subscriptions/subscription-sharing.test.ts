import { randomUUID } from 'node:crypto';
import { EventBus, orderUpdated } from '@shop/events';
import { createTokenService } from '@shop/platform';
import { TEST_AMQP_URL as AMQP_URL, silentLogger } from '@shop/platform/testing';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../create-gateway.js';
import { JWT_SECRET, RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';

const SUBSCRIBERS = 30;
const orderId = randomUUID();
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: 'shop.events', log: silentLogger, connectionName: 'sharing-test' });
let gateway: Gateway;
const clients: Client[] = [];
let received = 0;

const event = () =>
  orderUpdated.create({ orderId, userId: 'u1', previousStatus: 'PENDING', status: 'PAID', paymentStatus: 'SUCCEEDED' });
const orderQueries = () => subgraph.calls.filter((call) => call.body.query?.includes('order(')).length;

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
  return condition();
}

beforeAll(async () => {
  const url = await subgraph.start();
  subgraph.answer = () => ({ data: { orderStatusChanged: { id: orderId }, order: { id: orderId } } });
  // Without subgraph deduplication, every execution would reach the subgraph: what is counted here.
  const started = await startGateway(url, { SUBGRAPH_DEDUPLICATION: 'false' });
  gateway = started.gateway;
  const tokens = createTokenService({ JWT_SECRET, JWT_ISSUER: 'shop', JWT_AUDIENCE: 'shop-api', JWT_TTL_SECONDS: 600 });
  const authorization = `Bearer ${await tokens.sign({ id: 'u1', role: 'CUSTOMER' })}`;
  for (let c = 0; c < SUBSCRIBERS / 10; c++) {
    const client = createClient({
      url: `${started.base.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
    });
    clients.push(client);
    for (let s = 0; s < 10; s++) {
      client.subscribe(
        { query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }', variables: { id: orderId } },
        { next: () => received++, error: () => {}, complete: () => {} },
      );
    }
  }
  await until(() => gateway.subscriptionStats().feedListeners === SUBSCRIBERS, 10_000);
  // The gateway's queue is bound asynchronously: publish until an event comes through.
  for (let attempt = 0; attempt < 50 && received === 0; attempt++) {
    await bus.publish(event());
    await until(() => received > 0, 200);
  }
  await until(() => received % SUBSCRIBERS === 0, 5_000);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await gateway?.close();
  await subgraph.close();
  await bus.close();
});

describe('subscription fan-out', () => {
  it("runs the order's query once per event for all subscribers with the same caller and selection", async () => {
    expect(gateway.subscriptionStats().feedListeners).toBe(SUBSCRIBERS);
    const before = orderQueries();
    received = 0;
    await bus.publish(event());
    expect(await until(() => received === SUBSCRIBERS, 5_000)).toBe(true);
    expect(orderQueries() - before).toBe(1);

    // Each new event runs it again: nothing is kept after the execution ends.
    received = 0;
    await bus.publish(event());
    expect(await until(() => received === SUBSCRIBERS, 5_000)).toBe(true);
    expect(orderQueries() - before).toBe(2);
  });
});
