import { paymentSucceeded } from '@shop/events';
import { buildSchema, parse, print, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { declaredSubscriptions } from './declared-subscriptions.js';
import { subscriptionToQuery } from './subscription-to-query.js';

const schema = buildSchema(`
  type User { id: ID! email: String! }
  type Order { id: ID! status: String! user: User! payment: Payment }
  type Payment { id: ID! status: String! order: Order! }
  type Query { order(id: ID!): Order payment(id: ID!): Payment }
  type Subscription {
    orderStatusChanged(orderId: ID!, current: Boolean = false): Order!
    paymentStatusChanged(orderId: ID!, current: Boolean = false): Payment!
  }
`);

const rewrite = (source: string, variables: Record<string, unknown> = {}, operationName?: string) => {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  const result = subscriptionToQuery(schema, declaredSubscriptions, document, operationName, variables);
  expect(validate(schema, parse(result.authorization))).toEqual([]);
  expect(validate(schema, parse(result.payload))).toEqual([]);
  expect(validate(schema, parse(result.catchUp.query))).toEqual([]);
  return result;
};

const normalize = (source: string) => print(parse(source));

const event = paymentSucceeded.create({
  paymentId: 'p-1',
  orderId: 'o-1',
  userId: 'u-1',
  amount: '19.99',
  transactionId: 'tx-1',
});

describe('subscriptionToQuery', () => {
  it('reads current (a literal, a variable, a default) and passes it to no query', () => {
    const watch = (args: string, variables: Record<string, unknown> = {}, definitions = '') =>
      rewrite(`subscription W($id: ID!${definitions}) { orderStatusChanged(orderId: $id${args}) { id } }`, {
        id: 'o-1',
        ...variables,
      });
    expect(watch('').sendsCurrent).toBe(false);
    expect(watch(', current: false').sendsCurrent).toBe(false);
    const literal = watch(', current: true');
    expect(literal.sendsCurrent).toBe(true);
    expect(literal.payload).toBe(normalize('query W($id: ID!) { orderStatusChanged: order(id: $id) { id } }'));
    expect(watch(', current: $now', { now: true }, ', $now: Boolean').sendsCurrent).toBe(true);
    expect(watch(', current: $now', {}, ', $now: Boolean = true').sendsCurrent).toBe(true);
    expect(watch(', current: $now', {}, ', $now: Boolean').sendsCurrent).toBe(false);
    // A variable only `current` uses is not declared by the queries (unused, they would be invalid).
    expect(watch(', current: $now', { now: true }, ', $now: Boolean').payload).not.toContain('$now');
  });

  it('turns the subscription into order(id:) with the same variables, selection and fragments', () => {
    const result = rewrite(
      `subscription Watch($id: ID!) {
        orderStatusChanged(orderId: $id) { id status ...Buyer ... on Order { user { id } } }
      }
      fragment Buyer on Order { user { ...Contact } }
      fragment Contact on User { email }`,
      { id: 'o-1' },
    );
    // orderStatusChanged is authorized by its own query, the one each event runs.
    expect(result.authorization).toBe(result.payload);
    expect(result.variables(event)).toEqual({ id: 'o-1' });
    expect(result.payload).toBe(
      normalize(`query Watch($id: ID!) {
        orderStatusChanged: order(id: $id) { id status ...Buyer ... on Order { user { id } } }
      }
      fragment Buyer on Order { user { ...Contact } }
      fragment Contact on User { email }`),
    );
    expect(result).toMatchObject({ operationName: 'Watch', responseKey: 'orderStatusChanged', topic: 'o-1' });
  });

  it('catches up after a gap with the payload query, or through the order for a payload read from events', () => {
    const order = rewrite('subscription ($id: ID!) { orderStatusChanged(orderId: $id) { status } }', { id: 'o-1' });
    expect(order.catchUp.query).toBe(order.payload);
    expect(order.catchUp.payloadOf({ orderStatusChanged: { status: 'PAID' } })).toEqual({ status: 'PAID' });

    const payment = rewrite('subscription ($id: ID!) { paid: paymentStatusChanged(orderId: $id) { id status } }', {
      id: 'o-1',
    });
    expect(payment.catchUp.query).toBe(
      normalize('query ($id: ID!) { paid: order(id: $id) { payment { id status } } }'),
    );
    const current = { id: 'p-1', status: 'SUCCEEDED' };
    expect(payment.catchUp.payloadOf({ paid: { payment: current } })).toEqual(current);
    expect(payment.catchUp.payloadOf({ paid: { payment: null } })).toBeNull();
    expect(payment.catchUp.payloadOf({ paid: null })).toBeUndefined();
    expect(payment.variables()).toEqual({ id: 'o-1' });
  });

  it("keeps the client's alias and takes a literal order id", () => {
    const result = rewrite(`subscription { changed: orderStatusChanged(orderId: "o-2") { status } }`);
    expect(result.payload).toBe(normalize(`{ changed: order(id: "o-2") { status } }`));
    expect(result).toMatchObject({ responseKey: 'changed', topic: 'o-2', operationName: undefined });
  });

  it('uses a variable default and coerces the id like ID!', () => {
    expect(rewrite(`subscription ($id: ID! = "o-3") { orderStatusChanged(orderId: $id) { id } }`).topic).toBe('o-3');
    expect(rewrite(`subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }`, { id: 42 }).topic).toBe('42');
  });

  it('keeps only the chosen operation and the fragments it uses', () => {
    const result = rewrite(
      `query Other { order(id: "x") { ...Unrelated } }
      subscription Watch { orderStatusChanged(orderId: "o-4") { ...Fields } }
      fragment Fields on Order { id }
      fragment Unrelated on Order { status }`,
      {},
      'Watch',
    );
    expect(result.payload).toBe(
      normalize(`query Watch { orderStatusChanged: order(id: "o-4") { ...Fields } } fragment Fields on Order { id }`),
    );
  });

  it('refuses what it cannot serve with contract codes', () => {
    const fragmentAtRoot = parse(
      `subscription { ...Root } fragment Root on Subscription { orderStatusChanged(orderId: "o") { id } }`,
    );
    expect(() => subscriptionToQuery(schema, declaredSubscriptions, fragmentAtRoot, undefined, {})).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } }),
    );
    expect(() =>
      subscriptionToQuery(schema, declaredSubscriptions, parse(`{ order(id: "o") { id } }`), undefined, {}),
    ).toThrow(expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } }));
    const missingVariable = parse(`subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }`);
    expect(() => subscriptionToQuery(schema, declaredSubscriptions, missingVariable, undefined, {})).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });

  it("authorizes paymentStatusChanged on the order, then runs the client's selection on each event's payment", () => {
    const result = rewrite(
      `subscription Pay($id: ID!, $withOrder: Boolean!) {
        paid: paymentStatusChanged(orderId: $id) { id status ...Owner }
      }
      fragment Owner on Payment { order @include(if: $withOrder) { user { email } } }`,
      { id: 'o-1', withOrder: true },
    );
    // Only the order's owner or an admin gets an answer; the selection's variables are not its business.
    expect(result.authorization).toBe(normalize(`query Pay($id: ID!) { paid: order(id: $id) { id } }`));
    // The payment the event is about; the order id is no longer used, the event's payment id is.
    expect(result.payload).toBe(
      normalize(`query Pay($withOrder: Boolean!, $payment_id: ID!) { paid: payment(id: $payment_id) { id status ...Owner } }
      fragment Owner on Payment { order @include(if: $withOrder) { user { email } } }`),
    );
    expect(result).toMatchObject({ operationName: 'Pay', responseKey: 'paid', topic: 'o-1' });
    expect(result.variables()).toEqual({ id: 'o-1', withOrder: true });
    expect(result.variables(event)).toEqual({ id: 'o-1', withOrder: true, payment_id: 'p-1' });
  });

  it("never takes a client's variable name for the event's value", () => {
    const result = rewrite(`subscription ($payment_id: ID!) { paymentStatusChanged(orderId: $payment_id) { id } }`, {
      payment_id: 'o-5',
    });
    expect(result.payload).toBe(
      normalize(`query ($_payment_id: ID!) { paymentStatusChanged: payment(id: $_payment_id) { id } }`),
    );
    expect(result.variables(event)).toEqual({ payment_id: 'o-5', _payment_id: 'p-1' });
    expect(result.topic).toBe('o-5');
  });

  it('refuses subscriptions that nothing declares', () => {
    const undeclared = parse(`subscription { orderStatusChanged(orderId: "o") { id } }`);
    expect(() => subscriptionToQuery(schema, [], undeclared, undefined, {})).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } }),
    );
  });
});
