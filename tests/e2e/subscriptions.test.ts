// orderStatusChanged across gateway replicas: each replica consumes the events on its own queue and
// resolves every client's selection through the supergraph, over graphql-ws and Server-Sent
// Events; refused and abandoned subscriptions.

import { eventually } from '@shop/platform/testing';
import { createClient as createSseClient } from 'graphql-sse';
import { type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  recordSubscription,
  statusUpdate,
  subscriptionClient,
} from '../../gateway/src/subscriptions/subscription.test-client.js';
import { ADDRESS, ADMIN, type GatewayReplica, rest, startGatewayReplica } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
type Json = any;

const run = Date.now().toString(36);
const SELECTION = `id status paymentStatus user { id email } items { quantity product { id name } } payment { status }`;
const WATCH = `subscription Watch($orderId: ID!) { orderStatusChanged(orderId: $orderId) { ${SELECTION} } }`;

const replicas: GatewayReplica[] = [];
const clients: Client[] = [];
let admin: string;
let ada: { token: string; id: string; email: string };
let mallory: string;
let product: { id: string; name: string };

const connect = (gatewayUrl: string, token?: string): Client => {
  const client = subscriptionClient(gatewayUrl, token);
  clients.push(client);
  return client;
};

/** Every message of one subscription, and a way to wait for the one that matches. */
function watch(client: Client, orderId: string) {
  const recorded = recordSubscription(client, { query: WATCH, variables: { orderId } });
  return { ...recorded, until: (status: string) => eventually(() => statusUpdate(recorded, status), 20_000) };
}

/** Ada's order of one product, paid, with every field WATCH selects. */
const paidOrder = (orderId: string) => ({
  id: orderId,
  status: 'PAID',
  paymentStatus: 'SUCCEEDED',
  user: { id: ada.id, email: ada.email },
  items: [{ quantity: 1, product }],
  payment: { status: 'SUCCEEDED' },
});

const placeOrder = async (token: string): Promise<string> =>
  (await rest('POST', '/orders', { items: [{ productId: product.id, quantity: 1 }], shippingAddress: ADDRESS }, token))
    .id;

beforeAll(async () => {
  replicas.push(await startGatewayReplica(), await startGatewayReplica());
  admin = (await rest('POST', '/users/login', ADMIN)).token;
  const register = (name: string) =>
    rest('POST', '/users/register', {
      email: `${name}-${run}@subscriptions.e2e.test`,
      password: 'subscription e2e password',
      firstName: name,
      lastName: 'E2E',
    });
  const registered = await register('ada');
  ada = { token: registered.token, id: registered.user.id, email: registered.user.email };
  mallory = (await register('mallory')).token;
  const created = await rest(
    'POST',
    '/products',
    { name: `Subscribed ${run}`, price: 5, category: `subs-${run}`, inventory: 100 },
    admin,
  );
  product = { id: created.id, name: created.name };
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
});

describe('orderStatusChanged across two gateway replicas', () => {
  it("delivers each order's events to clients on both replicas, with user and product fields resolved", async () => {
    const [first, second] = replicas as [GatewayReplica, GatewayReplica];
    expect(first.url).not.toBe(second.url);
    const orderId = await placeOrder(ada.token);
    const owner = watch(connect(first.url, ada.token), orderId);
    const staff = watch(connect(second.url, admin), orderId);
    // Live once each replica has authorized its subscription through the supergraph.
    await eventually(async () => (first.subscriptionStats().subscriptions === 1 ? true : undefined));
    await eventually(async () => (second.subscriptionStats().subscriptions === 1 ? true : undefined));

    await rest('POST', '/payments', { orderId, paymentMethod: 'card' }, ada.token, { 'idempotency-key': orderId });
    const expected = paidOrder(orderId);
    expect(await owner.until('PAID')).toEqual(expected);
    expect(await staff.until('PAID')).toEqual(expected);

    await rest('PATCH', `/orders/${orderId}`, { status: 'SHIPPED' }, admin);
    expect((await owner.until('SHIPPED')).status).toBe('SHIPPED');
    expect((await staff.until('SHIPPED')).status).toBe('SHIPPED');
    expect([...owner.messages, ...staff.messages].filter((message) => message.errors)).toEqual([]);
  });

  it("answers another customer's order with NOT_FOUND (as an unknown id) and an anonymous caller with UNAUTHENTICATED", async () => {
    const [first] = replicas as [GatewayReplica];
    const orderId = await placeOrder(ada.token);
    const stranger = watch(connect(first.url, mallory), orderId);
    const anonymous = watch(connect(first.url), orderId);
    const errorOf = (subscription: ReturnType<typeof watch>) => eventually(async () => subscription.failure() as Json);
    expect(await errorOf(stranger)).toEqual([
      expect.objectContaining({
        message: `Order ${orderId} not found`,
        extensions: expect.objectContaining({ code: 'NOT_FOUND' }),
      }),
    ]);
    expect(await errorOf(anonymous)).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
  });

  it('delivers the same events, with the same fields, over Server-Sent Events (/graphql/stream)', async () => {
    const [first] = replicas as [GatewayReplica];
    const orderId = await placeOrder(ada.token);
    const sse = createSseClient({
      url: `${first.url}/graphql/stream`,
      headers: { authorization: `Bearer ${ada.token}` },
      retryAttempts: 0,
    });
    const messages: Json[] = [];
    const stop = sse.subscribe(
      { query: WATCH, variables: { orderId } },
      {
        next: (message) => messages.push(message),
        error: (error) => messages.push({ failed: String(error) }),
        complete: () => {},
      },
    );
    const update = (status: string) =>
      eventually(
        async () =>
          messages.find((message) => message.data?.orderStatusChanged?.status === status)?.data.orderStatusChanged,
        20_000,
      );
    try {
      await eventually(async () => (first.subscriptionStats().subscriptions === 1 ? true : undefined));
      await rest('POST', '/payments', { orderId, paymentMethod: 'card' }, ada.token, { 'idempotency-key': orderId });
      expect(await update('PAID')).toEqual(paidOrder(orderId));
      await rest('PATCH', `/orders/${orderId}`, { status: 'SHIPPED' }, admin);
      expect((await update('SHIPPED')).status).toBe('SHIPPED');
      expect(messages.filter((message) => message.errors || message.failed)).toEqual([]);
    } finally {
      stop();
      sse.dispose();
    }
    await eventually(async () => (first.subscriptionStats().subscriptions === 0 ? true : undefined));
  });

  it('leaves nothing behind on a replica once its clients disconnect', async () => {
    const [, second] = replicas as [GatewayReplica, GatewayReplica];
    const orderId = await placeOrder(ada.token);
    const leaving = Array.from({ length: 20 }, () => connect(second.url, ada.token));
    for (const client of leaving) watch(client, orderId);
    await eventually(async () => (second.subscriptionStats().subscriptions >= 20 ? true : undefined));
    await Promise.all(leaving.map((client) => client.dispose()));
    const idle = { connections: 0, subscriptions: 0, feedListeners: 0 };
    await eventually(async () =>
      JSON.stringify(second.subscriptionStats()) === JSON.stringify(idle) ? true : undefined,
    );
  });
});
