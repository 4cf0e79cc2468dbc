import { buildSchema, parse, print, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { subscriptionToQuery } from './subscription-to-query.js';

const schema = buildSchema(`
  type User { id: ID! email: String! }
  type Order { id: ID! status: String! user: User! }
  type Query { order(id: ID!): Order }
  type Subscription { orderStatusChanged(orderId: ID!): Order! }
`);

const rewrite = (source: string, variables: Record<string, unknown> = {}, operationName?: string) => {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  const result = subscriptionToQuery(schema, document, operationName, variables);
  expect(validate(schema, result.document)).toEqual([]);
  return result;
};

const normalize = (source: string) => print(parse(source));

describe('subscriptionToQuery', () => {
  it('turns the subscription into order(id:) with the same variables, selection and fragments', () => {
    const result = rewrite(
      `subscription Watch($id: ID!) {
        orderStatusChanged(orderId: $id) { id status ...Buyer ... on Order { user { id } } }
      }
      fragment Buyer on Order { user { ...Contact } }
      fragment Contact on User { email }`,
      { id: 'o-1' },
    );
    expect(print(result.document)).toBe(
      normalize(`query Watch($id: ID!) {
        orderStatusChanged: order(id: $id) { id status ...Buyer ... on Order { user { id } } }
      }
      fragment Buyer on Order { user { ...Contact } }
      fragment Contact on User { email }`),
    );
    expect(result).toMatchObject({ operationName: 'Watch', responseKey: 'orderStatusChanged', orderId: 'o-1' });
  });

  it("keeps the client's alias and takes a literal order id", () => {
    const result = rewrite(`subscription { changed: orderStatusChanged(orderId: "o-2") { status } }`);
    expect(print(result.document)).toBe(normalize(`{ changed: order(id: "o-2") { status } }`));
    expect(result).toMatchObject({ responseKey: 'changed', orderId: 'o-2', operationName: undefined });
  });

  it('uses a variable default and coerces the id like ID!', () => {
    expect(rewrite(`subscription ($id: ID! = "o-3") { orderStatusChanged(orderId: $id) { id } }`).orderId).toBe('o-3');
    expect(rewrite(`subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }`, { id: 42 }).orderId).toBe(
      '42',
    );
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
    expect(print(result.document)).toBe(
      normalize(`query Watch { orderStatusChanged: order(id: "o-4") { ...Fields } } fragment Fields on Order { id }`),
    );
  });

  it('refuses what it cannot serve with contract codes', () => {
    const fragmentAtRoot = parse(
      `subscription { ...Root } fragment Root on Subscription { orderStatusChanged(orderId: "o") { id } }`,
    );
    expect(() => subscriptionToQuery(schema, fragmentAtRoot, undefined, {})).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } }),
    );
    expect(() => subscriptionToQuery(schema, parse(`{ order(id: "o") { id } }`), undefined, {})).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } }),
    );
    const missingVariable = parse(`subscription ($id: ID!) { orderStatusChanged(orderId: $id) { id } }`);
    expect(() => subscriptionToQuery(schema, missingVariable, undefined, {})).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });
});
