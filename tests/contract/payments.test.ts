// CONTRACT.md, "GraphQL operations" → payment methods and idempotency: card, paypal and bank_transfer
// succeed; card_declined fails with failureReason "card_declined"; the same idempotencyKey sent again
// returns the first payment and charges nothing twice; the same key with a different body is CONFLICT.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorCode, gql, type Json } from './gateway.client.js';
import {
  type Customer,
  createProduct,
  loginAdmin,
  orderWhen,
  PAYMENT_FIELDS,
  placeOrder,
  registerCustomer,
} from './shop.fixture.js';

const PROCESS = `mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { ${PAYMENT_FIELDS} } }`;
const ORDER_PAYMENT = 'query($id: ID!) { order(id: $id) { payment { id status } } }';

let owner: Customer;
let productId: string;
const process = (input: Record<string, unknown>) => gql(PROCESS, { input }, owner.token);

beforeAll(async () => {
  const admin = await loginAdmin();
  owner = await registerCustomer('payer');
  productId = (await createProduct(admin.token, { price: '7.35' })).id;
});

describe('"Payment methods"', () => {
  it.each(['card', 'paypal', 'bank_transfer'])(
    '%s succeeds with a transaction id, for the order total',
    async (method) => {
      const order = await placeOrder(owner.token, productId, 2);
      const payment = dataOf(
        await process({ orderId: order.id, paymentMethod: method, idempotencyKey: randomUUID() }),
      ).processPayment;
      expect(payment).toMatchObject({
        order: { id: order.id },
        amount: '14.70',
        paymentMethod: method,
        status: 'SUCCEEDED',
        transactionId: expect.any(String),
        failureReason: null,
      });
      await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
    },
  );

  it('card_declined fails with failureReason "card_declined"', async () => {
    const order = await placeOrder(owner.token, productId);
    const payment = dataOf(
      await process({ orderId: order.id, paymentMethod: 'card_declined', idempotencyKey: randomUUID() }),
    ).processPayment;
    expect(payment).toMatchObject({ status: 'FAILED', failureReason: 'card_declined', paymentMethod: 'card_declined' });
  });

  it('refuses an unknown payment method with BAD_USER_INPUT', async () => {
    const order = await placeOrder(owner.token, productId);
    const answer = await process({ orderId: order.id, paymentMethod: 'seashells', idempotencyKey: randomUUID() });
    expect(errorCode(answer)).toBe('BAD_USER_INPUT');
  });
});

describe('"Payment methods": idempotencyKey', () => {
  it('returns the first payment for the same key and body, and charges once', async () => {
    const order = await placeOrder(owner.token, productId);
    const input = { orderId: order.id, paymentMethod: 'card', idempotencyKey: randomUUID() };
    const first: Json = dataOf(await process(input)).processPayment;
    const again: Json = dataOf(await process(input)).processPayment;
    expect(again).toEqual(first);
    await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
    expect(dataOf(await gql(ORDER_PAYMENT, { id: order.id }, owner.token)).order.payment).toEqual({
      id: first.id,
      status: 'SUCCEEDED',
    });
  });

  it('answers the same payment to the same key sent five times at once', async () => {
    const order = await placeOrder(owner.token, productId);
    const input = { orderId: order.id, paymentMethod: 'card', idempotencyKey: randomUUID() };
    const answers = await Promise.all(Array.from({ length: 5 }, () => process(input)));
    const ids = answers.map((answer) => dataOf(answer).processPayment.id);
    expect(new Set(ids).size).toBe(1);
  });

  it('refuses the same key with a different body with CONFLICT', async () => {
    const [order, another] = await Promise.all([
      placeOrder(owner.token, productId),
      placeOrder(owner.token, productId),
    ]);
    const input = { orderId: order.id, paymentMethod: 'card_declined', idempotencyKey: randomUUID() };
    dataOf(await process(input));
    expect(errorCode(await process({ ...input, paymentMethod: 'card' }))).toBe('CONFLICT');
    expect(errorCode(await process({ ...input, orderId: another.id }))).toBe('CONFLICT');
  });

  it('refuses to pay an order that is already paid with CONFLICT', async () => {
    const order = await placeOrder(owner.token, productId);
    dataOf(await process({ orderId: order.id, paymentMethod: 'card', idempotencyKey: randomUUID() }));
    await orderWhen(owner.token, order.id, (current) => current.status === 'PAID');
    const second = await process({ orderId: order.id, paymentMethod: 'card', idempotencyKey: randomUUID() });
    expect(errorCode(second)).toBe('CONFLICT');
  });
});
