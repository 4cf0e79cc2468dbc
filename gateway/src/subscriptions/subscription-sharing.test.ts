import { randomUUID } from 'node:crypto';
import { EventBus } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, createTestTokens, eventually, silentLogger } from '@shop/platform/testing';
import { type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { orderPaid, RecordingSubgraph, startGateway, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { subscriptionClient } from './subscription.test-client.js';

const SUBSCRIBERS = 30;
const orderId = randomUUID();
/** Only for finding out when the gateway's queue is bound: its stragglers never touch `orderId`'s counts. */
const warmUpOrderId = randomUUID();
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'sharing-test' });
let gateway: Gateway;
const clients: Client[] = [];
let received = 0;

const orderQueries = () =>
  subgraph.calls.filter(
    (call) => call.body.query?.includes('order(') && JSON.stringify(call.body.variables ?? {}).includes(orderId),
  ).length;

/** Longer than any test or hook timeout: those bound the waits below, not a budget of their own. */
const UNBOUNDED = 600_000;

beforeAll(async () => {
  const url = await subgraph.start();
  subgraph.answer = () => ({ data: { orderStatusChanged: { id: orderId }, order: { id: orderId } } });
  // Without subgraph deduplication and operation coalescing, every execution reaches the subgraph:
  // what is counted here is the watch's own sharing.
  const started = await startGateway(url, { SUBGRAPH_DEDUPLICATION: 'false', OPERATION_COALESCING: 'false' });
  gateway = started.gateway;
  const tokens = createTestTokens();
  const token = await tokens.sign({ id: 'u1', role: 'CUSTOMER' });
  for (let c = 0; c < SUBSCRIBERS / 10; c++) {
    const client = subscriptionClient(started.base, token, { lazy: false, onNonLazyError: () => {} });
    clients.push(client);
    for (let s = 0; s < 10; s++) {
      client.subscribe(
        { query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }', variables: { id: orderId } },
        { next: () => received++, error: () => {}, complete: () => {} },
      );
    }
  }
  // The gateway's queue is bound asynchronously: publish for another order until one comes through.
  let warmedUp = false;
  const warmUp = clients[0]?.subscribe(
    { query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }', variables: { id: warmUpOrderId } },
    { next: () => (warmedUp = true), error: () => {}, complete: () => {} },
  );
  await eventually(() => gateway.subscriptionStats().subscriptions === SUBSCRIBERS + 1, UNBOUNDED);
  // Published until one arrives: the feed's queue may still be binding.
  await eventually(async () => {
    if (!warmedUp) await bus.publish(orderPaid(warmUpOrderId));
    return warmedUp;
  }, UNBOUNDED);
  warmUp?.();
  await eventually(() => gateway.subscriptionStats().subscriptions === SUBSCRIBERS, UNBOUNDED);
  // Each subscription starts with its own authorizing query (a listener is registered before it).
  await eventually(() => orderQueries() === SUBSCRIBERS, UNBOUNDED);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await gateway?.close();
  await subgraph.close();
  await bus.close();
});

describe('subscription fan-out', () => {
  it("runs the order's query once per event for all subscribers with the same caller and selection", async () => {
    // One listener on the feed serves them all (the warm-up's, on another order, is gone).
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: SUBSCRIBERS, feedListeners: 1 });
    const before = orderQueries();
    await bus.publish(orderPaid(orderId));
    await eventually(() => received === SUBSCRIBERS, UNBOUNDED);
    expect(orderQueries() - before).toBe(1);

    // Each new event runs it again: nothing is kept after the execution ends.
    await bus.publish(orderPaid(orderId));
    await eventually(() => received === 2 * SUBSCRIBERS, UNBOUNDED);
    expect(orderQueries() - before).toBe(2);

    // Those who leave stop getting events; the others keep theirs, still through one listener.
    await clients[0]?.dispose();
    await eventually(() => gateway.subscriptionStats().subscriptions === SUBSCRIBERS - 10, UNBOUNDED);
    expect(gateway.subscriptionStats().feedListeners).toBe(1);
    await bus.publish(orderPaid(orderId));
    await eventually(() => received === 3 * SUBSCRIBERS - 10, UNBOUNDED);
    expect(orderQueries() - before).toBe(3);
  });

  it('delivers an event that arrives while a subscription is still being authorised, once it is', async () => {
    const lateOrder = randomUUID();
    const callsFor = () =>
      subgraph.calls.filter((call) => JSON.stringify(call.body.variables ?? {}).includes(lateOrder)).length;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answer = subgraph.answer;
    // Each query about lateOrder answers another status, so the answer delivered tells which query it was.
    const statuses = ['PENDING', 'PAID', 'SHIPPED'];
    subgraph.answer = async (call) => {
      if (!JSON.stringify(call.body.variables ?? {}).includes(lateOrder)) return answer(call);
      const status = statuses[callsFor() - 1];
      // The first query about lateOrder is its authorizing one: held until the event has been handled,
      // so its answer is stale by the time it comes.
      if (status === 'PENDING') await held;
      // The gateway asks for `order` under the subscription's response key.
      return { data: { orderStatusChanged: { id: lateOrder, status } } };
    };
    try {
      const answers: unknown[] = [];
      clients[1]?.subscribe(
        {
          query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id status } }',
          variables: { id: lateOrder },
        },
        { next: (next) => answers.push(next), error: () => {}, complete: () => {} },
      );
      await eventually(() => callsFor() === 1, UNBOUNDED);
      await bus.publish(orderPaid(lateOrder));
      // The event's own query: the gateway got the event while the subscriber was being authorised.
      await eventually(() => callsFor() === 2, UNBOUNDED);
      release();
      await eventually(() => answers.length >= 1, UNBOUNDED);
      // The event's answer, not the authorizing one.
      expect(answers).toEqual([{ data: { orderStatusChanged: { id: lateOrder, status: 'PAID' } } }]);
      // A later event marks the end: anything else sent for the first one would arrive before its answer.
      await bus.publish(orderPaid(lateOrder));
      await eventually(() => answers.length >= 2, UNBOUNDED);
      expect(answers).toEqual([
        { data: { orderStatusChanged: { id: lateOrder, status: 'PAID' } } },
        { data: { orderStatusChanged: { id: lateOrder, status: 'SHIPPED' } } },
      ]);
    } finally {
      release();
      subgraph.answer = answer;
    }
  });
});
