// CONTRACT.md, "REST shims (legacy callers), all on the gateway at port 3000": every route with
// its success status and body, and RFC 9457 problems for 400, 401, 403, 404 and 409.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Answer, bodyOf, dataOf, gql, type Json, rest } from './gateway.client.js';
import {
  ADDRESS,
  type Customer,
  loginAdmin,
  orderWhen,
  PASSWORD,
  registerCustomer,
  uniqueEmail,
  uniqueName,
} from './shop.fixture.js';

const TIMESTAMP = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const USER = {
  id: expect.any(String),
  email: expect.any(String),
  firstName: expect.any(String),
  lastName: expect.any(String),
  role: 'CUSTOMER',
  createdAt: TIMESTAMP,
  updatedAt: TIMESTAMP,
};

/** An RFC 9457 problem: `type`, `title`, `status`, `detail`, as application/problem+json. */
function expectProblem(answer: Answer, status: number): Json {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  return answer.body;
}

let admin: Customer;
let ada: Customer;
let bob: Customer;
let product: Json;
const category = uniqueName('rest');

beforeAll(async () => {
  [admin, ada, bob] = await Promise.all([loginAdmin(), registerCustomer('ada'), registerCustomer('bob')]);
  product = bodyOf(
    await rest('POST', '/products', {
      body: {
        name: uniqueName('Lamp'),
        description: 'A lamp',
        price: 12.5,
        category,
        inventory: 50,
        images: ['https://img.example/a.png'],
      },
      token: admin.token,
    }),
    201,
  );
});

describe('"REST shims": users', () => {
  it('POST /api/users/register → 201 {token, user}; a taken email → 409; missing fields → 400 naming them', async () => {
    const input = { email: uniqueEmail('rest'), password: PASSWORD, firstName: 'Rest', lastName: 'Caller' };
    const created = bodyOf(await rest('POST', '/users/register', { body: input }), 201);
    expect(created).toEqual({ token: expect.any(String), user: { ...USER, email: input.email, phone: null } });
    expect(JSON.stringify(created)).not.toMatch(/password|argon/i);
    expectProblem(await rest('POST', '/users/register', { body: input }), 409);
    const invalid = expectProblem(await rest('POST', '/users/register', { body: { email: input.email } }), 400);
    expect(invalid.errors.map((error: Json) => error.field)).toEqual(
      expect.arrayContaining(['password', 'firstName', 'lastName']),
    );
  });

  it('POST /api/users/login → 200 {token, user}; wrong password → 401', async () => {
    const login = bodyOf(await rest('POST', '/users/login', { body: { email: ada.email, password: PASSWORD } }), 200);
    expect(login).toEqual({ token: expect.any(String), user: expect.objectContaining({ ...USER, id: ada.id }) });
    expectProblem(
      await rest('POST', '/users/login', { body: { email: ada.email, password: 'not the password' } }),
      401,
    );
  });

  it('GET /api/users/:id → 200 user for self or admin; 401 without a token; 404 for another customer', async () => {
    expect(bodyOf(await rest('GET', `/users/${ada.id}`, { token: ada.token }), 200)).toMatchObject({
      ...USER,
      id: ada.id,
    });
    expect(bodyOf(await rest('GET', `/users/${ada.id}`, { token: admin.token }), 200).id).toBe(ada.id);
    expectProblem(await rest('GET', `/users/${ada.id}`), 401);
    expectProblem(await rest('GET', `/users/${ada.id}`, { token: bob.token }), 404);
  });
});

describe('"REST shims": products', () => {
  it('GET /api/products → 200 {products, total, limit, offset}, filtered by the query, money as numbers', async () => {
    const second = bodyOf(
      await rest('POST', '/products', {
        body: { name: uniqueName('Desk'), price: 99.99, category, inventory: 0 },
        token: admin.token,
      }),
      201,
    );
    const all = bodyOf(await rest('GET', `/products?category=${category}`), 200);
    expect(all).toMatchObject({ total: 2, limit: 20, offset: 0 });
    expect(all.products.map((p: Json) => p.id).sort()).toEqual([product.id, second.id].sort());
    const query = `category=${category}&minPrice=10&maxPrice=50&inStock=true&search=Lamp&limit=1&offset=0`;
    const filtered = bodyOf(await rest('GET', `/products?${query}`), 200);
    expect(filtered).toEqual({ products: [product], total: 1, limit: 1, offset: 0 });
    expect(bodyOf(await rest('GET', `/products?category=${category}&limit=1&offset=1`), 200)).toMatchObject({
      products: [expect.any(Object)],
      total: 2,
      offset: 1,
    });
    expectProblem(await rest('GET', '/products?limit=-1'), 400);
    expectProblem(await rest('GET', '/products?minPrice=cheap'), 400);
  });

  it('POST /api/products → 201 product (admin); 401 anonymous, 403 customer, 400 invalid', () => {
    expect(product).toEqual({
      id: expect.any(String),
      name: expect.any(String),
      description: 'A lamp',
      price: 12.5,
      category,
      inventory: 50,
      images: ['https://img.example/a.png'],
      // Added to the contract's fields: none set.
      purchaseLimit: null,
      createdAt: TIMESTAMP,
      updatedAt: TIMESTAMP,
    });
    return Promise.all([
      rest('POST', '/products', { body: { name: 'x', price: 1, category } }).then((a) => expectProblem(a, 401)),
      rest('POST', '/products', { body: { name: 'x', price: 1, category }, token: ada.token }).then((a) =>
        expectProblem(a, 403),
      ),
      rest('POST', '/products', { body: { name: 'x', price: 'free', category }, token: admin.token }).then((a) =>
        expectProblem(a, 400),
      ),
    ]);
  });

  it('PATCH /api/products/:id → 200 with only the given fields changed; 404 for an unknown id', async () => {
    const patched = bodyOf(
      await rest('PATCH', `/products/${product.id}`, { body: { price: 13 }, token: admin.token }),
      200,
    );
    expect(patched).toEqual({ ...product, price: 13, updatedAt: TIMESTAMP });
    expectProblem(await rest('PATCH', `/products/${randomUUID()}`, { body: { price: 13 }, token: admin.token }), 404);
    expectProblem(await rest('PATCH', `/products/${product.id}`, { body: { price: 1 }, token: ada.token }), 403);
  });
});

describe('"REST shims": orders', () => {
  const orderBody = (quantity = 2) => ({ items: [{ productId: product.id, quantity }], shippingAddress: ADDRESS });

  it('POST /api/orders → 201 order with items {productId, quantity, price}; 401, 400, 404 and 409 problems', async () => {
    // The unit price is the product's at the time of ordering, a number in currency units.
    // (GraphQL writes money as a decimal string; REST as a number.)
    const price = Number(
      dataOf(await gql('query ($id: ID!) { product(id: $id) { price } }', { id: product.id })).product.price,
    );
    const order = bodyOf(await rest('POST', '/orders', { body: orderBody(), token: ada.token }), 201);
    expect(order).toMatchObject({
      id: expect.any(String),
      items: [{ productId: product.id, quantity: 2, price }],
      status: 'PENDING',
      totalAmount: price * 2,
      shippingAddress: ADDRESS,
      paymentStatus: 'PENDING',
      createdAt: TIMESTAMP,
      updatedAt: TIMESTAMP,
    });
    expectProblem(await rest('POST', '/orders', { body: orderBody() }), 401);
    expectProblem(await rest('POST', '/orders', { body: { items: [] }, token: ada.token }), 400);
    const unknown = { items: [{ productId: randomUUID(), quantity: 1 }], shippingAddress: ADDRESS };
    expectProblem(await rest('POST', '/orders', { body: unknown, token: ada.token }), 404);
    expectProblem(await rest('POST', '/orders', { body: orderBody(51), token: ada.token }), 409);
  });

  it('POST /api/orders with an Idempotency-Key → 201, the same key and body → 200 with the same order, another body → 409', async () => {
    const headers = { 'idempotency-key': randomUUID() };
    const order = bodyOf(await rest('POST', '/orders', { body: orderBody(1), headers, token: ada.token }), 201);
    expect(bodyOf(await rest('POST', '/orders', { body: orderBody(1), headers, token: ada.token }), 200)).toEqual(
      order,
    );
    expectProblem(await rest('POST', '/orders', { body: orderBody(2), headers, token: ada.token }), 409);
    expectProblem(
      await rest('POST', '/orders', { body: orderBody(1), headers: { 'idempotency-key': '' }, token: ada.token }),
      400,
    );
    // Keys are per customer: bob's request with ada's key places bob's own order.
    const bobs = bodyOf(await rest('POST', '/orders', { body: orderBody(1), headers, token: bob.token }), 201);
    expect(bobs.id).not.toBe(order.id);
  });

  it('GET /api/orders/:id → 200 for owner or admin; 404 for another customer, as for an unknown id', async () => {
    const order = bodyOf(await rest('POST', '/orders', { body: orderBody(1), token: ada.token }), 201);
    expect(bodyOf(await rest('GET', `/orders/${order.id}`, { token: ada.token }), 200)).toEqual(order);
    expect(bodyOf(await rest('GET', `/orders/${order.id}`, { token: admin.token }), 200)).toEqual(order);
    expectProblem(await rest('GET', `/orders/${order.id}`, { token: bob.token }), 404);
    expectProblem(await rest('GET', `/orders/${randomUUID()}`, { token: ada.token }), 404);
  });

  it("PATCH /api/orders/:id {status} → 200 by the life cycle; 409 for an illegal transition; 403 for an admin's move; 400 for an unknown status", async () => {
    const order = bodyOf(await rest('POST', '/orders', { body: orderBody(1), token: ada.token }), 201);
    expectProblem(await rest('PATCH', `/orders/${order.id}`, { body: { status: 'SHIPPED' }, token: admin.token }), 409);
    expectProblem(await rest('PATCH', `/orders/${order.id}`, { body: { status: 'SHIPPED' }, token: ada.token }), 403);
    expectProblem(await rest('PATCH', `/orders/${order.id}`, { body: { status: 'LOST' }, token: ada.token }), 400);
    const cancelled = bodyOf(
      await rest('PATCH', `/orders/${order.id}`, { body: { status: 'CANCELLED' }, token: ada.token }),
      200,
    );
    expect(cancelled).toMatchObject({ id: order.id, status: 'CANCELLED' });
    expectProblem(await rest('PATCH', `/orders/${order.id}`, { body: { status: 'PENDING' }, token: ada.token }), 409);
  });
});

describe('"REST shims": payments', () => {
  it('POST /api/payments → 201, the same Idempotency-Key and body → 200 with the same payment, another body → 409', async () => {
    const order = bodyOf(
      await rest('POST', '/orders', {
        body: { items: [{ productId: product.id, quantity: 1 }], shippingAddress: ADDRESS },
        token: ada.token,
      }),
      201,
    );
    const key = { 'idempotency-key': randomUUID() };
    const body = { orderId: order.id, paymentMethod: 'card' };
    const first = bodyOf(await rest('POST', '/payments', { body, headers: key, token: ada.token }), 201);
    expect(first).toEqual({
      id: expect.any(String),
      orderId: order.id,
      amount: order.totalAmount,
      paymentMethod: 'card',
      status: 'SUCCEEDED',
      transactionId: expect.any(String),
      failureReason: null,
      createdAt: TIMESTAMP,
      updatedAt: TIMESTAMP,
    });
    expect(bodyOf(await rest('POST', '/payments', { body, headers: key, token: ada.token }), 200)).toEqual(first);
    const other = { ...body, paymentMethod: 'paypal' };
    expectProblem(await rest('POST', '/payments', { body: other, headers: key, token: ada.token }), 409);
    expectProblem(await rest('POST', '/payments', { body, token: ada.token }), 400); // no Idempotency-Key
    expectProblem(await rest('POST', '/payments', { body, headers: { 'idempotency-key': randomUUID() } }), 401);
    await orderWhen(ada.token, order.id, (current) => current.status === 'PAID');

    expect(bodyOf(await rest('GET', `/payments/${first.id}`, { token: ada.token }), 200)).toEqual(first);
    expect(bodyOf(await rest('GET', `/payments/${first.id}`, { token: admin.token }), 200)).toEqual(first);
    expectProblem(await rest('GET', `/payments/${first.id}`, { token: bob.token }), 404);
    expectProblem(await rest('GET', `/payments/${first.id}`), 401);
  });

  it('GET /api/payments/:id → 404 for an unknown payment', async () => {
    expectProblem(await rest('GET', '/payments/000000000000000000000000', { token: admin.token }), 404);
    expectProblem(await rest('GET', `/payments/${randomUUID()}`, { token: admin.token }), 404);
  });
});

describe('"REST shims": errors are problem details, never a 500 for bad input', () => {
  it('answers malformed JSON, wrong types, odd ids and unknown routes with 4xx problems', async () => {
    const token = ada.token;
    const bad: [string, string, Parameters<typeof rest>[2]][] = [
      ['POST', '/users/register', { raw: '{"email": ' }],
      ['POST', '/users/login', { body: { email: 42, password: ['x'] } }],
      ['POST', '/users/login', { body: [] }],
      ['GET', '/users/%24where', { token }],
      ['GET', `/users/${'x'.repeat(300)}`, { token }],
      ['GET', '/products?limit=abc&offset=-5&inStock=maybe', {}],
      ['GET', '/products?minPrice=1e400', {}],
      ['POST', '/orders', { body: { items: [{ productId: {}, quantity: 1.5 }], shippingAddress: null }, token }],
      ['GET', '/orders/not-an-id', { token }],
      ['PATCH', '/orders/not-an-id', { body: { status: 'CANCELLED' }, token }],
      [
        'POST',
        '/payments',
        { body: { orderId: 'nope', paymentMethod: 'card' }, headers: { 'idempotency-key': 'k' }, token },
      ],
      ['GET', '/payments/%7B%7D', { token }],
      ['GET', '/no-such-route', {}],
      ['DELETE', '/orders/anything', { token }],
    ];
    for (const [method, path, options] of bad) {
      const answer = await rest(method, path, options);
      expect([method, path, answer.status >= 400 && answer.status < 500]).toEqual([method, path, true]);
      expectProblem(answer, answer.status);
    }
  });

  it('serves the OpenAPI 3.1 document of the shims at /api/openapi.json', async () => {
    const document = bodyOf(await rest('GET', '/openapi.json'), 200);
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/users/register', '/api/products', '/api/orders/{id}', '/api/payments']),
    );
  });
});
