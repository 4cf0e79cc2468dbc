// `current: true` on a declared subscription: the payload as it is now comes first, then one message
// per event, so a client that subscribes again after a reconnect misses no change made meanwhile.
// Without it, nothing is sent until an event (the contract's own test).
import { randomUUID } from 'node:crypto';
import { EventBus, orderUpdated, paymentFailed } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, silentLogger } from '@shop/platform/testing';
import { type Client, type FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, type SubgraphCall, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { gatewayWithCustomer, publishUntilDelivered } from './subscription.test-client.js';

const [paid, unpaid] = [randomUUID(), randomUUID()];
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'current-test' });
let gateway: Gateway;
let client: Client;

/** The orders as the orders and payments subgraphs hold them now. */
const orders = new Map<string, { status: string; payment: { id: string; status: string } | null }>([
  [paid, { status: 'PAID', payment: { id: randomUUID(), status: 'SUCCEEDED' } }],
  [unpaid, { status: 'PENDING', payment: null }],
]);

function answer(call: SubgraphCall) {
  const query = call.body.query ?? '';
  const variables = call.body.variables ?? {};
  // Order.payment, from the payments subgraph: the order's payment now.
  if (query.includes('_entities')) {
    const [representation] = variables.representations as { id: string }[];
    return { data: { _entities: [{ payment: orders.get(representation?.id ?? '')?.payment ?? null }] } };
  }
  // A payment event's payload: the payment it is about.
  if (query.includes('payment(')) {
    const state = [...orders.values()].find((order) => order.payment?.id === variables.payment_id);
    return { data: { paymentStatusChanged: state?.payment ?? null } };
  }
  const id = variables.id as string;
  const key = query.includes('paymentStatusChanged') ? 'paymentStatusChanged' : 'orderStatusChanged';
  return { data: { [key]: { __typename: 'Order', id, status: orders.get(id)?.status } } };
}

function watch(query: string, id: string) {
  const answers: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  const stop = client.subscribe(
    { query, variables: { id } },
    { next: (next) => answers.push(next), error: () => {}, complete: () => {} },
  );
  return { answers, stop };
}

const ORDER_NOW = 'subscription ($id: ID!) { orderStatusChanged(orderId: $id, current: true) { id status } }';
const ORDER_CHANGES = 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id status } }';
const PAYMENT_NOW = 'subscription ($id: ID!) { paymentStatusChanged(orderId: $id, current: true) { id status } }';

let close = async () => {};

beforeAll(async () => {
  subgraph.answer = answer;
  ({ gateway, client, close } = await gatewayWithCustomer(subgraph));
});
afterAll(async () => {
  await close();
  await bus.close();
});

describe('a subscription with current: true', () => {
  it('is sent the order and its payment as they are now, then each change; without it, only changes', async () => {
    const before = gateway.subscriptionStats().subscriptions;
    const order = watch(ORDER_NOW, paid);
    const payment = watch(PAYMENT_NOW, paid);
    const changesOnly = watch(ORDER_CHANGES, paid);
    try {
      await vi.waitFor(() => expect(order.answers).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(() => expect(payment.answers).toHaveLength(1), { timeout: 10_000 });
      expect(order.answers[0]).toEqual({ data: { orderStatusChanged: { id: paid, status: 'PAID' } } });
      expect(payment.answers[0]).toEqual({ data: { paymentStatusChanged: orders.get(paid)?.payment } });
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before + 3), { timeout: 10_000 });

      const state = orders.get(paid);
      if (state) state.status = 'SHIPPED';
      const shipped = orderUpdated.create({
        orderId: paid,
        userId: 'u1',
        previousStatus: 'PAID',
        status: 'SHIPPED',
        paymentStatus: 'SUCCEEDED',
      });
      await publishUntilDelivered(bus, shipped, () => order.answers.length > 1);
      await vi.waitFor(() => expect(changesOnly.answers).toHaveLength(1), { timeout: 10_000 });
      const shippedAnswer = { data: { orderStatusChanged: { id: paid, status: 'SHIPPED' } } };
      expect(order.answers).toEqual([{ data: { orderStatusChanged: { id: paid, status: 'PAID' } } }, shippedAnswer]);
      // Subscribed alike but for `current`: the change alone.
      expect(changesOnly.answers).toEqual([shippedAnswer]);
    } finally {
      for (const subscription of [order, payment, changesOnly]) subscription.stop();
      // Gone before the next test counts what is open.
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before), { timeout: 10_000 });
    }
  });

  it("sends no payment before the order has one, and the order's current state still", async () => {
    const before = gateway.subscriptionStats().subscriptions;
    const order = watch(ORDER_NOW, unpaid);
    const payment = watch(PAYMENT_NOW, unpaid);
    try {
      await vi.waitFor(() => expect(order.answers).toHaveLength(1), { timeout: 10_000 });
      expect(order.answers[0]).toEqual({ data: { orderStatusChanged: { id: unpaid, status: 'PENDING' } } });
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(before + 2), { timeout: 10_000 });
      // The first payment comes: its outcome is the first message (a payment sent at subscribe time
      // would have come before it, on the same socket).
      const declined = { id: randomUUID(), status: 'FAILED' };
      const state = orders.get(unpaid);
      if (state) state.payment = declined;
      const event = paymentFailed.create({
        paymentId: declined.id,
        orderId: unpaid,
        userId: 'u1',
        amount: '19.99',
        failureReason: 'card_declined',
      });
      await publishUntilDelivered(bus, event, () => payment.answers.length > 0);
      expect(payment.answers).toEqual([{ data: { paymentStatusChanged: declined } }]);
    } finally {
      order.stop();
      payment.stop();
    }
  });
});
