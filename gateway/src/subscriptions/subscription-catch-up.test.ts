// After the gateway's broker connection is lost and restored, its fan-out queue is new: events
// published in the gap never reached it. Each live subscription then catches up: it is sent its
// payload as it is now, if that differs from what it was last sent. A RabbitMQ node of its own,
// stopped and started, makes the gap.
import { randomUUID } from 'node:crypto';
import { EventBus, orderUpdated, paymentSucceeded } from '@shop/events';
import { type PrivateBroker, startPrivateBroker } from '@shop/events/testing';
import { createTestTokens, silentLogger } from '@shop/platform/testing';
import { type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, type SubgraphCall, startGateway, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { subscriptionClient } from './subscription.test-client.js';

const orderId = randomUUID();
const subgraph = new RecordingSubgraph();
let broker: PrivateBroker;
let gateway: Gateway;
let client: Client;
let gatewayBase: string;

/** The order and its payment as the orders and payments subgraphs hold them now. */
const now = { status: 'PENDING', payment: null as { id: string; status: string } | null };

function answer(call: SubgraphCall) {
  const query = call.body.query ?? '';
  // Order.payment, from the payments subgraph: the order's payment now.
  if (query.includes('_entities')) return { data: { _entities: [{ payment: now.payment }] } };
  // A payment event's payload: the payment it is about.
  if (query.includes('payment(')) return { data: { paymentStatusChanged: now.payment } };
  // The order itself, under the subscription's response key, with its key for the payments subgraph.
  const key = query.includes('paymentStatusChanged') ? 'paymentStatusChanged' : 'orderStatusChanged';
  return { data: { [key]: { __typename: 'Order', id: orderId, status: now.status } } };
}

function watch(query: string) {
  const answers: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  client.subscribe(
    { query, variables: { id: orderId } },
    { next: (next) => answers.push(next), error: () => {}, complete: () => {} },
  );
  return answers;
}

beforeAll(async () => {
  broker = await startPrivateBroker('gateway-catch-up');
  subgraph.answer = answer;
  const started = await startGateway(await subgraph.start(), { AMQP_URL: broker.url });
  gateway = started.gateway;
  gatewayBase = started.base;
  const tokens = createTestTokens();
  client = subscriptionClient(started.base, await tokens.sign({ id: 'u1', role: 'CUSTOMER' }), {
    lazy: false,
    onNonLazyError: () => {},
  });
}, 120_000);
afterAll(async () => {
  await client?.dispose();
  await gateway?.close();
  await subgraph.close();
  await broker?.stop();
});

describe('subscriptions after a gap in the event feed', () => {
  it('are sent what changed meanwhile, once, and nothing when nothing changed', async () => {
    const orders = watch('subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id status } }');
    const payments = watch('subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id status } }');
    await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(2), { timeout: 10_000 });

    // Paid while the gateway was cut off from the broker: its payment.succeeded and order.updated are lost.
    await broker.stopApp();
    now.status = 'PAID';
    now.payment = { id: randomUUID(), status: 'SUCCEEDED' };
    await broker.startApp();
    await vi.waitFor(() => expect(orders).toHaveLength(1), { timeout: 30_000 });
    await vi.waitFor(() => expect(payments).toHaveLength(1), { timeout: 10_000 });
    expect(orders[0]).toEqual({ data: { orderStatusChanged: { id: orderId, status: 'PAID' } } });
    expect(payments[0]).toEqual({ data: { paymentStatusChanged: now.payment } });

    // Another gap, with nothing changed: the catch-up queries run, and send nothing.
    const before = subgraph.calls.length;
    await broker.stopApp();
    await broker.startApp();
    // The order's catch-up query, and the payment's two fetches (the order, then its payment).
    await vi.waitFor(() => expect(subgraph.calls.length).toBeGreaterThanOrEqual(before + 3), { timeout: 30_000 });
    // Then events come through again. Each subscription handles what it is given in order, so the
    // next thing each one sends is the event's payload, not a repeat of the state it had.
    now.status = 'SHIPPED';
    now.payment = { ...now.payment, status: 'REFUNDED' };
    const bus = new EventBus({
      url: broker.url,
      exchange: TEST_EXCHANGE,
      log: silentLogger,
      connectionName: 'catch-up',
    });
    try {
      await bus.publish(
        orderUpdated.create({
          orderId,
          userId: 'u1',
          previousStatus: 'PAID',
          status: 'SHIPPED',
          paymentStatus: 'SUCCEEDED',
        }),
      );
      const paid = { paymentId: now.payment.id, orderId, userId: 'u1', amount: '19.99', transactionId: 't' };
      await bus.publish(paymentSucceeded.create(paid));
    } finally {
      await bus.close();
    }
    await vi.waitFor(() => expect(orders).toHaveLength(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(payments).toHaveLength(2), { timeout: 10_000 });
    expect(orders[1]).toEqual({ data: { orderStatusChanged: { id: orderId, status: 'SHIPPED' } } });
    expect(payments[1]).toEqual({ data: { paymentStatusChanged: { id: now.payment.id, status: 'REFUNDED' } } });
  }, 120_000);

  it('catch up a few watches at a time, not every watch in one burst', async () => {
    const WATCHES = 40;
    const tokens = createTestTokens();
    const others = await Promise.all(
      [1, 2].map(async () =>
        subscriptionClient(gatewayBase, await tokens.sign({ id: 'u2', role: 'CUSTOMER' }), {
          lazy: false,
          onNonLazyError: () => {},
        }),
      ),
    );
    const caughtUp = new Set<string>();
    const before = gateway.subscriptionStats().subscriptions;
    try {
      // Forty watches of forty orders (20 per connection, its limit), each a watch of its own.
      for (let i = 0; i < WATCHES; i++) {
        others[i % 2]?.subscribe(
          { query: `subscription { orderStatusChanged(orderId: "burst-${i}") { id status } }` },
          { next: () => caughtUp.add(`burst-${i}`), error: () => {}, complete: () => {} },
        );
      }
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before + WATCHES), {
        timeout: 10_000,
      });
      // Each catch-up query takes a while: how many run at once is what the subgraph sees.
      let inFlight = 0;
      let most = 0;
      subgraph.answer = async (call) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight--;
        return answer(call);
      };
      now.status = 'CANCELLED';
      await broker.stopApp();
      await broker.startApp();
      await vi.waitFor(() => expect(caughtUp.size).toBe(WATCHES), { timeout: 30_000 });
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(16);
    } finally {
      subgraph.answer = answer;
      await Promise.all(others.map((other) => other.dispose()));
      // Gone before the next test counts what is open.
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before), { timeout: 10_000 });
    }
  }, 120_000);

  it('catch up the subscribers a gateway took before its queue was first bound (it started while the broker was away)', async () => {
    await broker.stopApp();
    const late = await startGateway(subgraph.url(), { AMQP_URL: broker.url });
    const tokens = createTestTokens();
    const lateClient = subscriptionClient(late.base, await tokens.sign({ id: 'u5', role: 'CUSTOMER' }), {
      lazy: false,
      onNonLazyError: () => {},
    });
    const seen: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
    let brokerBack = false;
    try {
      lateClient.subscribe(
        { query: `subscription { orderStatusChanged(orderId: "${orderId}") { id status } }` },
        { next: (next) => seen.push(next), error: () => {}, complete: () => {} },
      );
      await vi.waitFor(() => expect(late.gateway.subscriptionStats().subscriptions).toBe(1), { timeout: 10_000 });
      // Changed before this gateway's queue exists: its event could never reach it.
      now.status = 'DELIVERED';
      await broker.startApp();
      brokerBack = true;
      await vi.waitFor(
        () => expect(seen).toEqual([{ data: { orderStatusChanged: { id: orderId, status: 'DELIVERED' } } }]),
        { timeout: 30_000 },
      );
    } finally {
      await lateClient.dispose();
      await late.gateway.close();
      if (!brokerBack) await broker.startApp();
    }
  }, 120_000);

  it('skip the catch-up of a watch whose subscribers left while it waited for its turn', async () => {
    const tokens = createTestTokens();
    const connectAs = async (id: string) =>
      subscriptionClient(gatewayBase, await tokens.sign({ id, role: 'CUSTOMER' }), {
        lazy: false,
        onNonLazyError: () => {},
      });
    const leaving = [await connectAs('u3'), await connectAs('u3')];
    const staying = await connectAs('u4');
    const watchOn = (on: Client, orderId: string) =>
      on.subscribe(
        { query: `subscription { orderStatusChanged(orderId: "${orderId}") { id status } }` },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    const calls = (prefix: string) => subgraph.calls.filter((call) => JSON.stringify(call.body).includes(prefix));
    const before = gateway.subscriptionStats().subscriptions;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      for (let i = 0; i < 40; i++) watchOn(leaving[i % 2] as Client, `queued-${i}`);
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before + 40), { timeout: 10_000 });
      // Subscribed last, so its turn comes after every other watch's.
      watchOn(staying, 'sentinel');
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before + 41), { timeout: 10_000 });
      let inFlight = 0;
      subgraph.answer = async (call) => {
        inFlight++;
        await held;
        return answer(call);
      };
      // Counted from here: each subscription's start ran its authorizing query already.
      const queuedBefore = calls('queued-').length;
      const sentinelBefore = calls('sentinel').length;
      await broker.stopApp();
      await broker.startApp();
      // Every turn is taken and waits; the other watches wait for one.
      await vi.waitFor(() => expect(inFlight).toBe(16), { timeout: 30_000 });
      await Promise.all(leaving.map((client) => client.dispose()));
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before + 1), { timeout: 10_000 });
      const running = calls('queued-').length - queuedBefore;
      release();
      await vi.waitFor(() => expect(calls('sentinel')).toHaveLength(sentinelBefore + 1), { timeout: 30_000 });
      // Only the catch-ups that had their turn before the subscribers left ran.
      expect(calls('queued-').length - queuedBefore).toBe(running);
    } finally {
      release();
      subgraph.answer = answer;
      await Promise.all([...leaving, staying].map((client) => client.dispose()));
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before), { timeout: 10_000 });
    }
  }, 120_000);
});
