// CONTRACT.md, "GraphQL operations (supergraph)" → `orderStatusChanged`: served by the gateway over
// graphql-ws; each event delivers the whole Order as selected by the client, resolved through the
// supergraph. (Only the owner or an admin may subscribe: authorization-matrix.test.ts.)

import { eventually } from '@shop/platform/testing';
import { describe, expect, it } from 'vitest';
import { gql, type Json } from './gateway.client.js';
import { createProduct, loginAdmin, orderWhen, pay, placeOrder, registerCustomer } from './shop.fixture.js';
import { subscribe } from './subscription.client.js';

const WATCH = `subscription Watch($orderId: ID!) { orderStatusChanged(orderId: $orderId) {
  id status paymentStatus totalAmount user { id email } items { quantity product { id name } } payment { status amount }
} }`;
const MOVE = 'mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }';

describe('"GraphQL operations (supergraph)": orderStatusChanged over graphql-ws', () => {
  it('delivers the whole Order as selected, with user, products and payment resolved through the supergraph', async () => {
    const admin = await loginAdmin();
    const owner = await registerCustomer('subscriber');
    const product = await createProduct(admin.token, { price: '3.00' });
    const order = await placeOrder(owner.token, product.id, 2);
    const owners = subscribe(WATCH, { orderId: order.id }, owner.token);
    const admins = subscribe(WATCH, { orderId: order.id }, admin.token);
    try {
      // A refusal would come at once; silence means both subscriptions are waiting for events.
      expect(await owners.settled(1_000)).toBe(false);
      expect(await admins.settled(1_000)).toBe(false);
      await pay(owner.token, order.id, 'card_declined');
      await pay(owner.token, order.id, 'card');
      await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
      await gql(MOVE, { id: order.id, status: 'SHIPPED' }, admin.token);

      const shipped = {
        id: order.id,
        status: 'SHIPPED',
        paymentStatus: 'SUCCEEDED',
        totalAmount: '6.00',
        user: { id: owner.id, email: owner.email },
        items: [{ quantity: 2, product: { id: product.id, name: product.name } }],
        payment: { status: 'SUCCEEDED', amount: '6.00' },
      };
      for (const subscription of [owners, admins]) {
        const last = await eventually(async () =>
          subscription.messages.find((message: Json) => message.data?.orderStatusChanged?.status === 'SHIPPED'),
        );
        expect(last).toEqual({ data: { orderStatusChanged: shipped } });
        // Events arrive in life-cycle order, each a whole Order, none with errors.
        const statuses = subscription.messages.map((message: Json) => message.data.orderStatusChanged.status);
        expect(statuses.at(-1)).toBe('SHIPPED');
        expect(statuses).toEqual([...statuses].sort((a, b) => rank(a) - rank(b)));
        expect(subscription.messages.filter((message: Json) => message.errors)).toEqual([]);
      }
    } finally {
      await Promise.all([owners.close(), admins.close()]);
    }
  });
});

const rank = (status: string) => ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED'].indexOf(status);
