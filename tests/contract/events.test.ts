// CONTRACT.md, "Events (RabbitMQ)": the broker is not part of the public surface, so this suite checks
// what the events do, as a client sees it: order.created and payment.succeeded reach their consumers
// (the owner is notified, the order becomes PAID), exactly once each.

import { eventually } from '@shop/platform/testing';
import { describe, expect, it } from 'vitest';
import { dataOf, gql, type Json } from './gateway.client.js';
import { createProduct, loginAdmin, orderWhen, pay, placeOrder, registerCustomer } from './shop.fixture.js';

const NOTIFICATIONS = '{ notifications(first: 50) { edges { node { eventType orderId channel status } } } }';

describe('"Events (RabbitMQ)": their effects through the API', () => {
  it('notifies the owner of order.created and payment.succeeded once each, and pays the order', async () => {
    const admin = await loginAdmin();
    const owner = await registerCustomer('events');
    const product = await createProduct(admin.token);
    const order = await placeOrder(owner.token, product.id);
    await pay(owner.token, order.id);
    await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
    const types = (notifications: Json[]) => notifications.map((notification) => notification.eventType).sort();
    const notifications = await eventually(async () => {
      const edges: Json[] = dataOf(await gql(NOTIFICATIONS, {}, owner.token)).notifications.edges;
      const mine = edges
        .map((edge) => edge.node)
        .filter((node) => node.orderId === order.id && node.channel === 'EMAIL');
      return types(mine).includes('payment.succeeded') && types(mine).includes('order.created') ? mine : undefined;
    });
    expect(types(notifications)).toEqual(['order.created', 'payment.succeeded']);
  });
});
