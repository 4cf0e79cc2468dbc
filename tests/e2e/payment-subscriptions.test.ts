// paymentStatusChanged over graphql-ws, end to end: the payments subgraph's payment.failed and
// payment.succeeded reach the order's owner and an admin as the payment each is about, resolved
// through the supergraph (its order and user too); another customer is refused as for an unknown id.
import { type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordSubscription, subscriptionClient } from '../../gateway/src/subscriptions/subscription.test-client.js';
import { ADDRESS, ADMIN, GATEWAY, type GatewayReplica, rest, startGatewayReplica } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
type Json = any;

const run = Date.now().toString(36);
const WATCH = `subscription Pay($orderId: ID!) {
  paymentStatusChanged(orderId: $orderId) { id status paymentMethod amount failureReason order { id user { email } } }
}`;

let replica: GatewayReplica;
const clients: Client[] = [];
let admin: string;
let ada: { token: string; email: string };
let mallory: string;
let productId: string;

function watch(token: string, orderId: string) {
  const client = subscriptionClient(replica.url, token);
  clients.push(client);
  return recordSubscription(client, { query: WATCH, variables: { orderId } });
}

const pay = (orderId: string, paymentMethod: string, key: string): Promise<{ status: number; body: Json }> =>
  fetch(`${GATEWAY}/api/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ada.token}`, 'idempotency-key': key },
    body: JSON.stringify({ orderId, paymentMethod }),
  }).then(async (response) => ({ status: response.status, body: await response.json() }));

beforeAll(async () => {
  replica = await startGatewayReplica();
  admin = (await rest('POST', '/users/login', ADMIN)).token;
  const register = (name: string) =>
    rest('POST', '/users/register', {
      email: `${name}-${run}@payment-subscriptions.e2e.test`,
      password: 'subscription e2e password',
      firstName: name,
      lastName: 'E2E',
    });
  const registered = await register('ada');
  ada = { token: registered.token, email: registered.user.email };
  mallory = (await register('mallory')).token;
  const product = { name: `Paid ${run}`, price: 7.5, category: `pay-subs-${run}`, inventory: 100 };
  productId = (await rest('POST', '/products', product, admin)).id;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await replica?.close();
});

describe('paymentStatusChanged over graphql-ws', () => {
  it("delivers the order's payment outcomes to its owner and an admin, and refuses another customer", async () => {
    const order = await rest(
      'POST',
      '/orders',
      { items: [{ productId, quantity: 2 }], shippingAddress: ADDRESS },
      ada.token,
    );
    const owner = watch(ada.token, order.id);
    const staff = watch(admin, order.id);
    const stranger = watch(mallory, order.id);
    await vi.waitFor(() => expect(stranger.failure()).toBeDefined(), { timeout: 20_000 });
    expect(stranger.failure()).toEqual([
      expect.objectContaining({
        message: `Order ${order.id} not found`,
        extensions: expect.objectContaining({ code: 'NOT_FOUND' }),
      }),
    ]);
    // Live once the replica has authorized both through the supergraph.
    await vi.waitFor(() => expect(replica.subscriptionStats().subscriptions).toBe(2), { timeout: 20_000 });

    const declined = await pay(order.id, 'card_declined', `${order.id}-declined`);
    expect(declined).toMatchObject({ status: 201, body: { status: 'FAILED' } });
    const paid = await pay(order.id, 'card', `${order.id}-card`);
    expect(paid).toMatchObject({ status: 201, body: { status: 'SUCCEEDED' } });

    const delivered = (paymentId: string, status: string, paymentMethod: string, failureReason: string | null) => ({
      data: {
        paymentStatusChanged: {
          id: paymentId,
          status,
          paymentMethod,
          amount: '15.00',
          failureReason,
          order: { id: order.id, user: { email: ada.email } },
        },
      },
    });
    const expected = [
      delivered(declined.body.id, 'FAILED', 'card_declined', 'card_declined'),
      delivered(paid.body.id, 'SUCCEEDED', 'card', null),
    ];
    for (const subscriber of [owner, staff]) {
      await vi.waitFor(() => expect(subscriber.messages).toHaveLength(2), { timeout: 20_000 });
      // Each event is resolved when it arrives; the outbox may publish the two in either order.
      expect(subscriber.messages).toEqual(expect.arrayContaining(expected));
      expect(subscriber.failure()).toBeUndefined();
    }
    expect(stranger.messages).toEqual([]);
  });
});
