// paymentStatusChanged, served from its declaration: authorized once by the order (its owner or an
// admin), then each payment event runs the client's selection on the payment it is about.
import { randomUUID } from 'node:crypto';
import { EventBus, paymentFailed, paymentSucceeded } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, silentLogger } from '@shop/platform/testing';
import { type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { gatewayWithCustomer, paymentSubscriptionAnswers, publishUntilDelivered } from './subscription.test-client.js';

const [ownOrder, othersOrder] = [randomUUID(), randomUUID()];
const WATCH = 'subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id status } }';
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'payment-test' });
let gateway: Gateway;
let client: Client;

const paymentQueries = () => subgraph.calls.filter((call) => call.body.query?.includes('payment('));
const orderQueries = (orderId: string) =>
  subgraph.calls.filter((call) => call.body.query?.includes('order(') && call.body.variables?.id === orderId);
const payment = (orderId: string) => ({ paymentId: randomUUID(), orderId, userId: 'u1', amount: '19.99' });

function watch(orderId: string) {
  const answers: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe(
    { query: WATCH, variables: { id: orderId } },
    { next: (next) => answers.push(next), error: (error) => errors.push(error), complete: () => {} },
  );
  return { answers, errors, stop };
}

let close = async () => {};

beforeAll(async () => {
  subgraph.answer = paymentSubscriptionAnswers(ownOrder, 'SUCCEEDED');
  ({ gateway, client, close } = await gatewayWithCustomer(subgraph, { REQUEST_TIMEOUT: '20s' }));
});
afterAll(async () => {
  await close();
  await bus.close();
});

describe('paymentStatusChanged', () => {
  it('delivers each payment event of the order as the payment it is about, with one authorizing order query', async () => {
    const subscription = watch(ownOrder);
    // A listener is registered before the authorizing query runs.
    await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(1), { timeout: 10_000 });
    expect(gateway.subscriptionStats().feedListeners).toBe(1);
    expect(orderQueries(ownOrder)).toHaveLength(1);
    const first = payment(ownOrder);
    const failed = paymentFailed.create({ ...first, failureReason: 'card_declined' });
    await publishUntilDelivered(bus, failed, () => subscription.answers.length > 0);
    expect(subscription.answers[0]).toEqual({
      data: { paymentStatusChanged: { id: first.paymentId, status: 'SUCCEEDED' } },
    });
    const served = subscription.answers.length;
    const second = payment(ownOrder);
    await bus.publish(paymentSucceeded.create({ ...second, transactionId: 'tx-1' }));
    await vi.waitFor(() => expect(subscription.answers.length).toBe(served + 1), { timeout: 10_000 });
    expect(subscription.answers.at(-1)).toEqual({
      data: { paymentStatusChanged: { id: second.paymentId, status: 'SUCCEEDED' } },
    });
    // Each event asked the payments subgraph for its own payment, never the order again.
    expect(paymentQueries().at(-1)?.body.variables).toMatchObject({ payment_id: second.paymentId });
    expect(orderQueries(ownOrder)).toHaveLength(1);
    // Each of those queries had its own REQUEST_TIMEOUT (20 s here), as a client's request has.
    for (const call of [...orderQueries(ownOrder), ...paymentQueries()]) {
      expect(Number(call.headers['x-request-timeout-ms'])).toBeGreaterThan(10_000);
      expect(Number(call.headers['x-request-timeout-ms'])).toBeLessThanOrEqual(20_000);
    }
    expect(subscription.errors).toEqual([]);
    subscription.stop();
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 }));
  });

  it("refuses another customer's order as not found, and keeps no listener", async () => {
    const subscription = watch(othersOrder);
    await vi.waitFor(() => expect(subscription.errors).toHaveLength(1), { timeout: 10_000 });
    expect(subscription.errors[0]).toEqual([
      expect.objectContaining({ message: `Order ${othersOrder} not found`, extensions: { code: 'NOT_FOUND' } }),
    ]);
    expect(subscription.answers).toEqual([]);
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 });
  });

  it('refuses at its start a document whose catch-up, one level deeper through the order, passes over the limits', async () => {
    const deep = '{ order { user { orders { edges { node { payment { order { user { id } } } } } } } } }';
    const errors: unknown[] = [];
    client.subscribe(
      { query: `subscription ($id: ID!) { paymentStatusChanged(orderId: $id) ${deep} }`, variables: { id: ownOrder } },
      { next: () => {}, error: (error) => errors.push(error), complete: () => {} },
    );
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 10_000 });
    expect(errors[0]).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/depth .* Counted on the query that catches paymentStatusChanged up/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 });
  });
});
