// Scenario 4: subscription fan-out. N graphql-ws subscribers (20 per connection, the gateway's
// per-connection limit) on one order, as its owner; then the order changes status (payment, then
// an admin ships and delivers it) and each delivery's delay is taken from the order's `updatedAt`
// (set by the orders service with the change, before its event is published) to its arrival.
// Before it, the time until the gateway counts every subscription open (its metrics port): each one
// has been checked, planned and authorised by then. The first change (PAID) is a warm-up that also
// proves every subscription is live.
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADDRESS, graphql, ok, productIds, register } from './fixtures.js';
import { loadAverage } from './load.js';

const PER_CONNECTION = 20;
const SUBSCRIPTION = `subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id status updatedAt } }`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;

/**
 * `gateway_active_subscriptions` from the gateway's metrics; null when the scrape failed (at 20,000
 * subscribers a scrape may be reset while the gateway is busy subscribing: asked again).
 */
async function openSubscriptions(metricsUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    // One sample, with or without labels: `gateway_active_subscriptions{service="gateway"} 10000`.
    return Number(/^gateway_active_subscriptions(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
  } catch {
    return null;
  }
}

export async function subscriptionFanOut(
  gateway: string,
  metricsUrl: string,
  admin: { email: string; password: string },
  subscribers: number,
): Promise<void> {
  const authorization = await register(gateway, 'watcher');
  const [productId] = await productIds(gateway, 1);
  const created = await ok(
    graphql(
      gateway,
      `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }`,
      { input: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS } },
      authorization,
    ),
  );
  const orderId = (created.createOrder as { id: string }).id;
  const login = await ok(
    graphql(gateway, `mutation ($input: LoginInput!) { login(input: $input) { token } }`, { input: admin }),
  );
  const adminAuthorization = `Bearer ${(login.login as { token: string }).token}`;

  // Delays per status, one entry per delivery.
  const delays = new Map<string, number[]>();
  let failures = 0;
  const clients: Client[] = [];
  const wsUrl = gateway.replace(/^http/, 'ws');
  const subscribingSince = Date.now();
  for (let c = 0; c < Math.ceil(subscribers / PER_CONNECTION); c++) {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      lazy: false,
      retryAttempts: 0,
    });
    clients.push(client);
    for (let s = 0; s < Math.min(PER_CONNECTION, subscribers - c * PER_CONNECTION); s++) {
      client.subscribe<{ orderStatusChanged: { status: string; updatedAt: string } }>(
        { query: SUBSCRIPTION, variables: { id: orderId } },
        {
          next: ({ data }) => {
            const change = data?.orderStatusChanged;
            if (!change) return;
            const list = delays.get(change.status) ?? [];
            list.push(Date.now() - Date.parse(change.updatedAt));
            delays.set(change.status, list);
          },
          error: (error) => {
            if (failures++ === 0) {
              // A close event (code and reason) or the GraphQL errors the gateway answered with.
              const close = error as { code?: number; reason?: string };
              const detail = close.code === undefined ? JSON.stringify(error) : `${close.code} ${close.reason}`;
              console.error(`first subscription failure: ${detail}`);
            }
          },
          complete: () => undefined,
        },
      );
    }
  }
  const delivered = (status: string) => delays.get(status)?.length ?? 0;
  const waitForAll = async (status: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (delivered(status) < subscribers && Date.now() < deadline && failures === 0) {
      await new Promise((done) => setTimeout(done, 100));
    }
  };
  try {
    const subscribeDeadline = Date.now() + 120_000;
    let open = (await openSubscriptions(metricsUrl)) ?? 0;
    while (open < subscribers && failures === 0) {
      if (Date.now() > subscribeDeadline)
        throw new Error(`only ${open} of ${subscribers} subscriptions open after 120 s`);
      await new Promise((done) => setTimeout(done, 50));
      open = (await openSubscriptions(metricsUrl)) ?? open;
    }
    const subscribedMs = Date.now() - subscribingSince;
    await ok(
      graphql(
        gateway,
        `mutation ($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }`,
        { input: { orderId, paymentMethod: 'card', idempotencyKey: `fanout-${orderId}` } },
        authorization,
      ),
    );
    await waitForAll('PAID', 120_000);
    console.log(`\n### Scenario 4: subscription fan-out, ${subscribers} subscribers on one order\n`);
    console.log(`subscribed: ${open} of ${subscribers} open ${subscribedMs} ms after the first connection was opened`);
    console.log(`warm-up (PAID): ${delivered('PAID')} of ${subscribers} delivered, ${failures} subscriptions failed`);
    for (const status of ['SHIPPED', 'DELIVERED']) {
      const sentAt = Date.now();
      await ok(
        graphql(
          gateway,
          `mutation ($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }`,
          { id: orderId, status },
          adminAuthorization,
        ),
      );
      await waitForAll(status, 120_000);
      const sorted = [...(delays.get(status) ?? [])].sort((a, b) => a - b);
      console.log(
        `${status}: ${sorted.length} of ${subscribers} delivered, last ${Date.now() - sentAt} ms after the mutation was sent; ` +
          `delay from the change: first ${sorted[0]} ms, p50 ${percentile(sorted, 0.5)} ms, p95 ${percentile(sorted, 0.95)} ms, ` +
          `p99 ${percentile(sorted, 0.99)} ms, max ${sorted.at(-1)} ms; load average ${loadAverage()}`,
      );
    }
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
  }
}
