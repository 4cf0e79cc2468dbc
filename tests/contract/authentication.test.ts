// CONTRACT.md, "Authentication and authorization": `Authorization: Bearer <JWT>` on HTTP,
// `connectionParams.authorization` on graphql-ws; tokens carry `sub` and `role` and expire; no
// subgraph trusts an identity header that anyone could set. (Who may do what: authorization-matrix.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { contractStack } from './contract-stack.js';
import { call, errorCode, gql, type Json, rest } from './gateway.client.js';
import { type Customer, createProduct, loginAdmin, pay, placeOrder, registerCustomer } from './shop.fixture.js';
import { subscribe } from './subscription.client.js';

const claimsOf = (token: string): Json => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

let admin: Customer;
let customer: Customer;

beforeAll(async () => {
  [admin, customer] = await Promise.all([loginAdmin(), registerCustomer('auth')]);
});

describe('"Authentication and authorization": tokens', () => {
  it('are JWTs carrying sub and role, and they expire', () => {
    const claims = claimsOf(customer.token);
    expect(claims).toMatchObject({ sub: customer.id, role: 'CUSTOMER', exp: expect.any(Number) });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(claimsOf(admin.token).role).toBe('ADMIN');
  });

  it('are verified: a changed claim, an unsigned token or garbage is UNAUTHENTICATED (401 over REST)', async () => {
    const [header, , signature] = customer.token.split('.');
    const promoted = `${header}.${b64({ ...claimsOf(customer.token), role: 'ADMIN' })}.${signature}`;
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claimsOf(customer.token), role: 'ADMIN' })}.`;
    const expired = `${header}.${b64({ ...claimsOf(customer.token), exp: 1 })}.${signature}`;
    for (const [name, token] of Object.entries({ promoted, unsigned, expired, garbage: 'not-a-jwt' })) {
      expect([name, errorCode(await gql('{ me { id } }', {}, token))]).toEqual([name, 'UNAUTHENTICATED']);
      expect([name, (await rest('GET', `/users/${customer.id}`, { token })).status]).toEqual([name, 401]);
    }
  });

  it('are the only source of identity: headers naming a user or a role are ignored', async () => {
    const spoofed = {
      'x-user-id': admin.id,
      'x-user-role': 'ADMIN',
      'x-user': JSON.stringify({ id: admin.id, role: 'ADMIN' }),
      'x-principal': JSON.stringify({ id: admin.id, role: 'ADMIN' }),
      'x-forwarded-user': admin.email,
    };
    const query = 'mutation { createProduct(input: { name: "spoof", price: "1.00", category: "spoof" }) { id } }';
    const anonymous = await call('POST', '/graphql', { body: { query }, headers: spoofed });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const asCustomer = await call('POST', '/graphql', { body: { query }, headers: spoofed, token: customer.token });
    expect(errorCode(asCustomer)).toBe('FORBIDDEN');
    const me = await call('POST', '/graphql', {
      body: { query: '{ me { id } }' },
      headers: spoofed,
      token: customer.token,
    });
    expect(me.body.data.me.id).toBe(customer.id);
  });

  it('accept only the Bearer scheme', async () => {
    const answer = await call('POST', '/graphql', {
      body: { query: '{ me { id } }' },
      headers: { authorization: `Basic ${customer.token}` },
    });
    expect(answer.body.data?.me ?? null).toBeNull();
    expect(errorCode(answer)).toBe('UNAUTHENTICATED');
  });
});

describe('"Authentication and authorization": graphql-ws connectionParams.authorization', () => {
  const WATCH = 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { id } }';

  it('identifies the subscriber: a valid token reaches the order check (NOT_FOUND for an unknown order)', async () => {
    const subscription = subscribe(WATCH, { id: '00000000-0000-4000-8000-000000000000' }, customer.token);
    try {
      expect(await subscription.settled(20_000)).toBe(true);
      expect(subscription.failure()?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await subscription.close();
    }
  });

  it('refuses a forged token: the socket is closed before any subscription', async () => {
    const [header, , signature] = customer.token.split('.');
    const forged = `${header}.${b64({ ...claimsOf(customer.token), role: 'ADMIN' })}.${signature}`;
    const subscription = subscribe(WATCH, { id: '00000000-0000-4000-8000-000000000000' }, forged);
    try {
      expect(await subscription.settled(20_000)).toBe(true);
      expect(subscription.messages).toEqual([]);
      expect(subscription.failure()).toMatchObject({ code: 4403 });
    } finally {
      await subscription.close();
    }
  });
});

describe('"Authentication and authorization": every subgraph verifies the token itself', () => {
  // Reached directly (bypassing the gateway), each subgraph's entity resolution is a path to any object by id.
  const SELECTIONS: Record<string, string> = {
    users: '... on User { id email }',
    orders: '... on Order { id status }',
    payments: '... on Payment { id status }',
    notifications: '... on User { id notifications { id } }',
  };
  const SPOOFED = { 'x-user-id': '', 'x-user-role': 'ADMIN', 'x-user': '', 'x-principal': '' };

  async function entities(
    subgraph: string,
    representation: object,
    token?: string,
    headers: Record<string, string> = {},
  ) {
    const url = contractStack().subgraphUrls[subgraph];
    if (!url) throw new Error(`no URL for the ${subgraph} subgraph`);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({
        query: `query($r: [_Any!]!) { _entities(representations: $r) { ${SELECTIONS[subgraph]} } }`,
        variables: { r: [representation] },
      }),
    });
    const body: Json = await response.json();
    const code = body.errors?.[0]?.extensions?.code;
    return code ?? (body.data?._entities?.[0] ? 'data' : 'null');
  }

  it("refuses an anonymous or another customer's request for the owner's user, order, payment and notifications", async () => {
    const owner = await registerCustomer('direct');
    const product = await createProduct(admin.token);
    const order = await placeOrder(owner.token, product.id);
    const payment = await pay(owner.token, order.id);
    const spoofed = { ...SPOOFED, 'x-user-id': owner.id, 'x-user': JSON.stringify({ id: owner.id, role: 'ADMIN' }) };
    const cases: [string, object][] = [
      ['users', { __typename: 'User', id: owner.id }],
      ['orders', { __typename: 'Order', id: order.id }],
      ['payments', { __typename: 'Payment', id: payment.id }],
      ['notifications', { __typename: 'User', id: owner.id }],
    ];
    for (const [subgraph, representation] of cases) {
      const observed = {
        owner: await entities(subgraph, representation, owner.token),
        anonymous: await entities(subgraph, representation),
        spoofedHeaders: await entities(subgraph, representation, undefined, spoofed),
        other: await entities(subgraph, representation, customer.token),
      };
      expect([subgraph, observed]).toEqual([
        subgraph,
        { owner: 'data', anonymous: 'UNAUTHENTICATED', spoofedHeaders: 'UNAUTHENTICATED', other: 'NOT_FOUND' },
      ]);
    }
  });
});
