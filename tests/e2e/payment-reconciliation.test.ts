// A charge whose answer is lost (the simulator's `card_timeout`): the REST call answers 202
// PENDING, and with default settings reconciliation settles it from the provider's record so that
// the order is PAID, and the live subscription delivers it, within 30 s (CONTRACT.md).
import { eventually } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordSubscription,
  statusUpdate,
  subscriptionClient,
} from '../../gateway/src/subscriptions/subscription.test-client.js';
import { createProduct, GATEWAY, graphqlOk, liveSubscriptions, signInAdmin } from './stack.js';

const CONTRACT_BOUND_MS = 30_000;
let customerToken: string;
let productId: string;
const disposers: (() => void)[] = [];

beforeAll(async () => {
  productId = await createProduct(await signInAdmin(), {
    name: 'Timeout Lamp',
    description: 'Paid with a lost answer',
    price: '12.50',
    category: `lamps-${Date.now()}`,
    inventory: 5,
  });
  const registered = await graphqlOk<{ register: { token: string } }>(
    'mutation($input: RegisterInput!) { register(input: $input) { token } }',
    {
      input: {
        email: `timeout-${Date.now()}@example.com`,
        password: 'customer-password',
        firstName: 'Tim',
        lastName: 'Out',
      },
    },
  );
  customerToken = registered.register.token;
});
afterAll(() => {
  for (const dispose of disposers) dispose();
});

describe('payment with a lost answer (card_timeout)', () => {
  it('answers 202 PENDING, then the order is PAID and pushed to the subscriber within 30 s', async () => {
    const { createOrder } = await graphqlOk<{ createOrder: { id: string } }>(
      'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
      {
        input: {
          items: [{ productId, quantity: 2 }],
          shippingAddress: { street: '1 Main St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' },
        },
      },
      customerToken,
    );
    const orderId = createOrder.id;
    const liveBefore = await liveSubscriptions();
    const client = subscriptionClient(GATEWAY, customerToken);
    disposers.push(() => void client.dispose());
    const watched = recordSubscription(client, {
      query: `subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) {
        id status paymentStatus payment { id status amount transactionId }
      } }`,
      variables: { orderId },
    });
    // The gateway counts a subscription as live once it listens for the order's events.
    await eventually(async () => ((await liveSubscriptions()) > liveBefore ? true : undefined));

    // The same request both times: the first starts the payment, the replay reads its outcome.
    const payByRest = () =>
      fetch(`${GATEWAY}/api/payments`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${customerToken}`,
          'idempotency-key': `timeout-${orderId}`,
        },
        body: JSON.stringify({ orderId, paymentMethod: 'card_timeout' }),
      });
    const started = Date.now();
    const response = await payByRest();
    expect(response.status).toBe(202);
    const payment = (await response.json()) as { id: string; status: string; amount: number };
    expect(payment).toMatchObject({ status: 'PENDING', amount: 25 });

    const update = await eventually(() => statusUpdate(watched, 'PAID'), CONTRACT_BOUND_MS);
    const elapsedMs = Date.now() - started;
    expect(update).toMatchObject({
      id: orderId,
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
      payment: { id: payment.id, status: 'SUCCEEDED', amount: '25.00', transactionId: expect.stringMatching(/^sim_/) },
    });
    console.info(`card_timeout → PAID (subscription) in ${elapsedMs} ms`);

    // The replayed request now answers the settled payment (200), charging nothing.
    const replay = await payByRest();
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ id: payment.id, status: 'SUCCEEDED' });
  }, 60_000);
});
