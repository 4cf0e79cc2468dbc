// compose.scale.yml's promise: subscriptions work on whichever gateway a client lands on, because
// every gateway replica consumes the order events itself. Shown on two replicas reached directly
// (DEPLOY_SMOKE_GATEWAYS, their own addresses): the subscriber is on one, the payment goes through
// the other.
import { randomUUID } from 'node:crypto';
import { metricValue } from '@shop/platform/testing';
import { expect, it } from 'vitest';
import { subscriptionClient } from '../../gateway/src/subscriptions/subscription.test-client.js';
import type { Json } from '../contract/gateway.client.js';
import { createProduct, loginAdmin, placeOrder, registerCustomer } from '../contract/shop.fixture.js';

const gateways = (process.env.DEPLOY_SMOKE_GATEWAYS ?? '').split(',').filter(Boolean);
const WATCH = 'subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id status } }';
const PAY = 'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }';

/** The replica's started subscriptions, from its own metrics port (9464 on the same address, as compose sets it). */
async function liveSubscriptionsOn(gateway: string): Promise<number> {
  const metrics = new URL(gateway);
  metrics.port = '9464';
  return metricValue(await (await fetch(new URL('/metrics', metrics))).text(), 'gateway_active_subscriptions');
}

it('tells a subscriber on one gateway replica of a payment made through another', async () => {
  expect(gateways).toHaveLength(2);
  const [subscribedOn, paidThrough] = gateways as [string, string];
  const admin = await loginAdmin();
  const owner = await registerCustomer('replicas');
  const product = await createProduct(admin.token, { price: '4.20' });
  const order = await placeOrder(owner.token, product.id);
  const liveBefore = await liveSubscriptionsOn(subscribedOn);

  const client = subscriptionClient(subscribedOn, owner.token);
  const statuses: string[] = [];
  let failure: unknown;
  const done = new Promise<void>((resolve) => {
    client.subscribe<Json>(
      { query: WATCH, variables: { orderId: order.id } },
      {
        next: ({ data }) => {
          statuses.push(data?.orderStatusChanged?.status);
          if (data?.orderStatusChanged?.status === 'PAID') resolve();
        },
        error: (error) => {
          failure = error;
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  try {
    // The replica counts a subscription once it listens for the order's events (a refusal ends it
    // as an error instead): only then may the payment go through.
    await expect
      .poll(async () => failure ?? (await liveSubscriptionsOn(subscribedOn)), { timeout: 30_000 })
      .toBe(liveBefore + 1);
    const paid = await fetch(`${paidThrough}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({
        query: PAY,
        variables: { input: { orderId: order.id, paymentMethod: 'card', idempotencyKey: randomUUID() } },
      }),
    });
    expect(await paid.json()).toEqual({ data: { processPayment: { status: 'SUCCEEDED' } } });
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    expect(failure).toBeUndefined();
    expect(statuses).toContain('PAID');
  } finally {
    await client.dispose();
  }
});
