import { type Principal } from '@shop/platform/core';
import { findAnyOfQueries } from '@shop/platform/mongo';
import {
  connectTestMongo,
  createTestTokens,
  mongoQueriesDuring,
  offlineOutbox,
  serveTestSubgraph,
  type TestSubgraph,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOrders, type FixtureOrder, startFakeOrders } from '../order/fake-orders.server.js';
import { OrdersClient } from '../order/order.client.js';
import { paymentsSubgraph } from '../schema.js';
import { PaymentModel } from './payment.model.js';
import { PaymentService } from './payment.service.js';
import { PaymentStatus } from './payment.type.js';
import { SimulatedPaymentProvider } from './simulated-payment.provider.js';

const tokens = createTestTokens();
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const bob: Principal = { id: 'user-bob', role: 'CUSTOMER' };
const orders = new Map<string, FixtureOrder>([
  ['order-1', { id: 'order-1', userId: ada.id, status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '19.99' }],
]);

let db: { drop: () => Promise<void> };
let fakeOrders: FakeOrders;
let subgraph: TestSubgraph;

interface GraphqlResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions: { code: string } }[];
}

const post = (query: string, variables: Record<string, unknown>, principal?: Principal) =>
  subgraph.query<GraphqlResult>(query, variables, principal);

const PROCESS = `mutation($input: ProcessPaymentInput!) {
  processPayment(input: $input) { id amount status paymentMethod transactionId order { id } createdAt }
}`;
const PAYMENT = 'query($id: ID!) { payment(id: $id) { id status } }';
const ORDER_PAYMENT = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { id payment { id amount status } } }
}`;

beforeAll(async () => {
  db = await connectTestMongo('payments');
  fakeOrders = await startFakeOrders(tokens, orders);
  const payments = new PaymentService(new OrdersClient(fakeOrders.url), new SimulatedPaymentProvider(), offlineOutbox);
  subgraph = await serveTestSubgraph(paymentsSubgraph, { payments }, tokens);
});
afterAll(async () => {
  await subgraph.close();
  await fakeOrders.close();
  await db.drop();
});

describe('payments over HTTP', () => {
  const input = { orderId: 'order-1', paymentMethod: 'card', idempotencyKey: 'http-key' };

  it('requires a signed-in caller', async () => {
    const result = await post(PROCESS, { input });
    expect(result.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it("processes the owner's payment, serves it to the owner and Order.payment, and refuses others", async () => {
    const paid = await post(PROCESS, { input }, ada);
    expect(paid.errors).toBeUndefined();
    const payment = paid.data?.processPayment as { id: string; createdAt: string };
    expect(payment).toMatchObject({
      amount: '19.99',
      status: 'SUCCEEDED',
      paymentMethod: 'card',
      order: { id: 'order-1' },
    });

    const replay = await post(PROCESS, { input }, ada);
    expect(replay.data?.processPayment).toEqual(payment);
    const reused = await post(PROCESS, { input: { ...input, paymentMethod: 'paypal' } }, ada);
    expect(reused.errors?.[0]?.extensions.code).toBe('CONFLICT');

    expect((await post(PAYMENT, { id: payment.id }, ada)).data?.payment).toEqual({
      id: payment.id,
      status: 'SUCCEEDED',
    });
    const foreign = await post(PAYMENT, { id: payment.id }, bob);
    expect(foreign.errors?.[0]).toMatchObject({
      message: `Payment ${payment.id} not found`,
      extensions: { code: 'NOT_FOUND', id: payment.id },
    });
    expect(foreign.errors?.[0]?.message).not.toMatch(/mongo|stack/i);

    const representations = [{ __typename: 'Order', id: 'order-1' }];
    const entity = await post(ORDER_PAYMENT, { representations }, ada);
    expect(entity.data?._entities).toEqual([
      { id: 'order-1', payment: { id: payment.id, amount: '19.99', status: 'SUCCEEDED' } },
    ]);
    // Another customer's order reads as one without a payment: whether it has one is not told either.
    const foreignEntity = await post(ORDER_PAYMENT, { representations }, bob);
    expect(foreignEntity.errors).toBeUndefined();
    expect(foreignEntity.data?._entities).toEqual([{ id: 'order-1', payment: null }]);
  });

  it("answers paying someone else's order with NOT_FOUND, as for an unknown order", async () => {
    const result = await post(PROCESS, { input: { ...input, idempotencyKey: 'bob-key' } }, bob);
    expect(result.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('resolves Order.payment for a page of 50 orders with one query, each order with its own payment', async () => {
    const orderIds = Array.from({ length: 50 }, (_, i) => `page-order-${i}`);
    await PaymentModel.insertMany(
      orderIds.flatMap((orderId, i) => [
        // A failed attempt first, then the payment that counts.
        {
          userId: ada.id,
          orderId,
          amountCents: 100 + i,
          paymentMethod: 'card_declined',
          status: PaymentStatus.FAILED,
          idempotencyKey: `page-${i}-a`,
          requestFingerprint: 'x',
          orderSlot: `failed:page-${i}`,
        },
        {
          userId: ada.id,
          orderId,
          amountCents: 100 + i,
          paymentMethod: 'card',
          status: PaymentStatus.SUCCEEDED,
          idempotencyKey: `page-${i}-b`,
          requestFingerprint: 'x',
          orderSlot: orderId,
        },
      ]),
    );
    const queries = await mongoQueriesDuring(async () => {
      const representations = orderIds.map((id) => ({ __typename: 'Order', id }));
      const result = await post(ORDER_PAYMENT, { representations }, ada);
      expect(result.errors).toBeUndefined();
      const entities = result.data?._entities as { id: string; payment: { amount: string; status: string } }[];
      expect(entities.map((e) => [e.id, e.payment.amount, e.payment.status])).toEqual(
        orderIds.map((id, i) => [id, `1.${String(i).padStart(2, '0')}`, 'SUCCEEDED']),
      );
    });
    // One batch: one `$in` on MongoDB; on FerretDB one indexed equality per order (findAnyOf), since
    // it would answer a `$in` by reading the whole collection.
    expect(queries.filter((q) => q.startsWith('payments.'))).toEqual(Array(findAnyOfQueries(50)).fill('payments.find'));
  });
});
