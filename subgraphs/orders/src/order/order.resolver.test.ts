import { type Principal } from '@shop/platform/core';
import { findAnyOfQueries } from '@shop/platform/mongo';
import { mongoQueriesDuring, serveTestSubgraph, type TestSubgraph } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersSubgraph } from '../schema.js';
import { OrderModel } from './order.model.js';
import {
  ada,
  address,
  admin,
  BOOK,
  bob,
  customer,
  type OrdersFixture,
  RARE,
  startOrdersFixture,
  tokens,
} from './order.test-fixture.js';

let fx: OrdersFixture;
let server: TestSubgraph;

beforeAll(async () => {
  fx = await startOrdersFixture();
  server = await serveTestSubgraph(ordersSubgraph, { orders: fx.orders }, tokens);
});
afterAll(async () => {
  await server.close();
  await fx.close();
});

interface Response {
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are checked field by field
  data?: any;
  errors?: { message: string; extensions: Record<string, unknown> }[];
}

const post = (query: string, variables: Record<string, unknown>, principal?: Principal) =>
  server.query<Response>(query, variables, principal);

const service: Principal = { id: 'service:payments', role: 'SERVICE' };
const CREATE = `mutation ($input: CreateOrderInput!) {
  createOrder(input: $input) {
    id status paymentStatus totalAmount createdAt
    user { id }
    items { product { id } quantity price }
    shippingAddress { street city state zipCode country }
  }
}`;
const create = (principal: Principal | undefined, items = [{ productId: BOOK, quantity: 2 }]) =>
  post(CREATE, { input: { items, shippingAddress: address } }, principal);
const code = (response: Response) => response.errors?.[0]?.extensions.code;

describe('orders over HTTP', () => {
  it('creates an order for a signed-in caller only, with Decimal strings on the wire', async () => {
    expect(code(await create(undefined))).toBe('UNAUTHENTICATED');
    const { data, errors } = await create(ada);
    expect(errors).toBeUndefined();
    expect(data.createOrder).toMatchObject({
      status: 'PENDING',
      paymentStatus: 'PENDING',
      totalAmount: '39.98',
      user: { id: ada.id },
      items: [{ product: { id: BOOK }, quantity: 2, price: '19.99' }],
      shippingAddress: address,
    });
    expect(new Date(data.createOrder.createdAt).toISOString()).toBe(data.createOrder.createdAt);
  });

  it('says until when an order can be paid: placed + ORDER_PAYMENT_TIMEOUT (30 min by default)', async () => {
    const cleo = customer('user-cleo-payable');
    const { data } = await create(cleo);
    const read = await post(
      'query($id: ID!) { order(id: $id) { createdAt payableUntil } }',
      { id: data.createOrder.id },
      cleo,
    );
    const { createdAt, payableUntil } = read.data.order;
    expect(Date.parse(payableUntil) - Date.parse(createdAt)).toBe(30 * 60_000);
  });

  it('answers refusals with contract codes and masks internal failures', async () => {
    const stock = await create(ada, [{ productId: RARE, quantity: 5 }]);
    expect(stock.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_STOCK', productId: RARE });
    const invalid = await create(ada, [{ productId: BOOK, quantity: -1 }]);
    expect(invalid.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'items.0.quantity', message: expect.any(String) }],
    });

    fx.products.afterReserve = (id) => OrderModel.collection.insertOne({ _id: id as never }).then(() => undefined);
    try {
      const broken = await create(ada);
      expect(broken.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(broken)).not.toMatch(/duplicate|E11000|stack/i);
    } finally {
      fx.products.afterReserve = undefined;
      await OrderModel.collection.deleteMany({ userId: { $exists: false } });
    }
  });

  it('lets the owner and admins read an order and its listing, nobody else', async () => {
    const { data } = await create(ada);
    const id = data.createOrder.id;
    const ORDER = 'query ($id: ID!) { order(id: $id) { id user { id } } }';
    expect((await post(ORDER, { id }, ada)).data.order).toEqual({ id, user: { id: ada.id } });
    expect((await post(ORDER, { id }, admin)).data.order.id).toBe(id);
    // Another customer's order answers exactly as an unknown id would (no existence oracle).
    const foreign = await post(ORDER, { id }, bob);
    expect(foreign.errors?.[0]).toMatchObject({
      message: `Order ${id} not found`,
      extensions: { code: 'NOT_FOUND', id },
    });
    expect(code(await post(ORDER, { id }, undefined))).toBe('UNAUTHENTICATED');
    expect(code(await post(ORDER, { id: 'nope' }, ada))).toBe('NOT_FOUND');

    const LIST = `query ($after: String) {
      orders(first: 1, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
    }`;
    const first = (await post(LIST, {}, ada)).data.orders;
    expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    const second = (await post(LIST, { after: first.pageInfo.endCursor }, ada)).data.orders;
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([first.edges[0].node.id, second.edges[0].node.id]).toContain(id);
    expect((await post(LIST, {}, bob)).data.orders.totalCount).toBe(0);
  });

  it('enforces the life cycle through updateOrderStatus', async () => {
    const { data } = await create(ada);
    const UPDATE =
      'mutation ($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }';
    const shipped = await post(UPDATE, { id: data.createOrder.id, status: 'SHIPPED' }, admin);
    expect(shipped.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      currentStatus: 'PENDING',
      requestedStatus: 'SHIPPED',
    });
    expect(code(await post(UPDATE, { id: data.createOrder.id, status: 'CANCELLED' }, bob))).toBe('NOT_FOUND');
    const cancelled = await post(UPDATE, { id: data.createOrder.id, status: 'CANCELLED' }, ada);
    expect(cancelled.data.updateOrderStatus.status).toBe('CANCELLED');
  });

  it('resolves Order and User.orders references for the owner, an admin or a service only', async () => {
    const { data } = await create(ada);
    const ENTITIES = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Order { id totalAmount }
        ... on User { orders(first: 5) { totalCount } }
      }
    }`;
    const order = { representations: [{ __typename: 'Order', id: data.createOrder.id }] };
    expect((await post(ENTITIES, order, service)).data._entities[0]).toEqual({
      id: data.createOrder.id,
      totalAmount: '39.98',
    });
    expect(code(await post(ENTITIES, order, bob))).toBe('NOT_FOUND');

    const user = { representations: [{ __typename: 'User', id: ada.id }] };
    const count = await OrderModel.countDocuments({ userId: ada.id });
    expect((await post(ENTITIES, user, ada)).data._entities[0].orders.totalCount).toBe(count);
    expect((await post(ENTITIES, user, admin)).data._entities[0].orders.totalCount).toBe(count);
    expect(code(await post(ENTITIES, user, bob))).toBe('NOT_FOUND');
  });

  it("reads one page of a user's orders once however many User references ask for it", async () => {
    await create(ada);
    const ENTITIES = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on User { orders(first: 5) { totalCount edges { node { id } } } } }
    }`;
    const representations = Array.from({ length: 50 }, () => ({ __typename: 'User', id: ada.id }));
    const count = await OrderModel.countDocuments({ userId: ada.id });
    const queries = await mongoQueriesDuring(async () => {
      const result = await post(ENTITIES, { representations }, ada);
      expect(result.errors).toBeUndefined();
      const totals = result.data._entities.map((user: { orders: { totalCount: number } }) => user.orders.totalCount);
      expect(totals).toEqual(Array(50).fill(count));
    });
    expect(queries.sort()).toEqual(['orders.countDocuments', 'orders.find']);
  });

  it('resolves a page of 50 Order references with one query, keeping each caller to their own', async () => {
    const carol = customer('user-carol');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++)
      ids.push(
        (await fx.orders.create(fx.as(carol), { items: [{ productId: BOOK, quantity: 1 }], shippingAddress: address }))
          .id,
      );
    const ENTITIES = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Order { id user { id } totalAmount } }
    }`;
    const representations = ids.map((id) => ({ __typename: 'Order', id }));
    const queries = await mongoQueriesDuring(async () => {
      const result = await post(ENTITIES, { representations }, carol);
      expect(result.errors).toBeUndefined();
      expect(result.data._entities.map((e: { id: string }) => e.id)).toEqual(ids);
    });
    // One batch: one `$in` on MongoDB; on FerretDB one indexed equality per id (findAnyOf), since
    // it would answer a `$in` by reading the whole collection.
    expect(queries).toEqual(Array(findAnyOfQueries(50)).fill('orders.find'));

    // One foreign order among them is refused on its own; the caller's orders still resolve.
    const foreign = (await create(ada)).data.createOrder.id;
    const mixed = await post(
      ENTITIES,
      { representations: [...representations.slice(0, 2), { __typename: 'Order', id: foreign }] },
      carol,
    );
    expect(mixed.data._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([ids[0], ids[1], null]);
    expect(mixed.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
  });
});
