import { Validator } from '@seriousme/openapi-schema-validator';
import { checkSync } from 'recheck';
import { describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph, type Json } from '../gateway.test-fixture.js';
import { expressPath } from './rest-route.js';
import { restRoutes } from './use-rest.js';

const started = gatewayOverRecordingSubgraph();
const { subgraph } = started;

const call = async (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Json }> => {
  const response = await fetch(`${started.base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
};

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { status, body } = await call('GET', '/api/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents exactly the routes served, with their statuses', async () => {
    const { body } = await call('GET', '/api/openapi.json');
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(restRoutes.map((route) => `${route.method} /api${route.path}`).sort());
    expect(restRoutes.map((route) => `${route.method.toUpperCase()} ${expressPath(route.path)}`).sort()).toEqual(
      [
        'POST /users/register',
        'POST /users/login',
        'POST /users/password-reset',
        'POST /users/password-reset/confirm',
        'GET /users/:id',
        'DELETE /users/:id',
        'POST /users/me/deletion',
        'GET /products',
        'POST /products',
        'PATCH /products/:id',
        'POST /orders',
        'GET /orders/:id',
        'PATCH /orders/:id',
        'POST /payments',
        'GET /payments/:id',
      ].sort(),
    );
    expect(Object.keys(body.paths['/api/payments'].post.responses)).toEqual(
      expect.arrayContaining(['200', '201', '202', '400', '401', '409']),
    );
    // Any route may need a service that does not answer (users, for a token's revocation, at the least),
    // and any refuses a token that is sent but invalid or expired, a public one included.
    for (const operations of Object.values(body.paths as Record<string, Record<string, { responses: object }>>)) {
      for (const operation of Object.values(operations)) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '503']));
      }
    }
    // A body over BODY_LIMIT_BYTES is refused with 413 before the route reads it: documented where a body is taken.
    for (const [path, method] of [
      ['/api/users/register', 'post'],
      ['/api/products/{id}', 'patch'],
      ['/api/orders', 'post'],
    ] as const) {
      expect(Object.keys(body.paths[path][method].responses)).toContain('413');
    }
    expect(Object.keys(body.paths['/api/orders/{id}'].get.responses)).not.toContain('413');
    // Every call spends the client's cost budget, sign-in routes also count attempts: a 429 says how long to wait.
    for (const [path, methods] of Object.entries(body.paths as Record<string, Record<string, Json>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toContain('429');
      }
    }
    expect(body.components.schemas.Problem.properties.retryAfter).toMatchObject({ type: 'integer' });
  });

  // The requests schemathesis' positive_data_acceptance found valid by the document yet refused:
  // each is now refused by the shim itself, and the document says why.
  it('documents each rule the shims enforce, so a schema-valid request is not refused', async () => {
    const { body: document } = await call('GET', '/api/openapi.json');
    const schemas = document.components.schemas;
    const matches = (schema: { pattern?: string }, value: string) => new RegExp(schema.pattern ?? '').test(value);
    const before = subgraph.calls.length;
    const refused = async (method: string, path: string, body: unknown) => {
      const { status } = await call(method, path, body, { 'idempotency-key': 'k' });
      expect(status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    };

    await refused('POST', '/api/users/login', { email: '', password: '' });
    expect(matches(schemas.LoginBody.properties.email, '')).toBe(false);
    expect(schemas.LoginBody.properties.password.minLength).toBe(1);

    await refused('POST', '/api/users/register', { email: 'a@b.co', password: 'x', firstName: ' ', lastName: '' });
    const account = { password: 'xk3!pq9z-long', firstName: 'Ada', lastName: 'Lovelace' };
    await refused('POST', '/api/users/register', { ...account, email: 'deleted-1@deleted.INVALID' });
    expect(schemas.RegisterBody.properties.email.not).toEqual({ pattern: String.raw`\.[iI][nN][vV][aA][lL][iI][dD]$` });
    // The address pattern takes it; the `not` beside it is what refuses it.
    expect(matches(schemas.RegisterBody.properties.email, 'deleted-1@deleted.invalid')).toBe(true);
    expect(schemas.RegisterBody.properties.password.minLength).toBe(8);
    for (const blank of ['', ' ', '\u00a0\t'])
      expect(matches(schemas.RegisterBody.properties.firstName, blank)).toBe(false);
    expect(matches(schemas.RegisterBody.properties.firstName, 'Ada\u0007')).toBe(false);
    expect(matches(schemas.RegisterBody.properties.firstName, ' Ada ')).toBe(true);

    const address = { street: '', city: ' ', state: 's', zipCode: 'z', country: 'c' };
    await refused('POST', '/api/orders', {
      items: [{ productId: crypto.randomUUID(), quantity: 1 }],
      shippingAddress: address,
    });
    const documentedAddress = schemas.CreateOrderBody.properties.shippingAddress.properties;
    expect(matches(documentedAddress.street, '')).toBe(false);
    expect(matches(documentedAddress.city, ' ')).toBe(false);
    await refused('POST', '/api/orders', {
      items: [{ productId: 'p1', quantity: 1 }],
      shippingAddress: { ...address, street: 's', city: 'c' },
    });
    expect(schemas.CreateOrderBody.properties.items.items.properties.productId.format).toBe('uuid');

    await refused('POST', '/api/payments', { orderId: 'o1', paymentMethod: 'cash' });
    expect(schemas.CreatePaymentBody.properties.paymentMethod.enum).toEqual([
      'card',
      'paypal',
      'bank_transfer',
      'card_declined',
      'card_timeout',
    ]);

    for (const price of [0.001, 100_000_000])
      await refused('POST', '/api/products', { name: 'n', category: 'c', price });
    expect(schemas.CreateProductBody.properties.price).toMatchObject({
      minimum: 0,
      maximum: 99999999.99,
      multipleOf: 0.01,
    });
    await refused('POST', '/api/products', { name: ' ', category: 'c\u0000', price: 1 });
    expect(matches(schemas.CreateProductBody.properties.name, ' ')).toBe(false);
    expect(matches(schemas.CreateProductBody.properties.category, 'c\u0000')).toBe(false);

    await refused('PATCH', '/api/products/p1', {});
    await refused('PATCH', '/api/products/p1', { stock: 5 }); // no field of its own: nothing to change
    expect(schemas.PatchProductBody.anyOf).toEqual(
      Object.keys(schemas.PatchProductBody.properties).map((field) => ({ required: [field] })),
    );
    expect(Object.keys(schemas.PatchProductBody.properties)).toContain('inventoryChange');
    await refused('PATCH', '/api/products/p1', { inventory: 3, inventoryChange: 1 });
    await refused('PATCH', '/api/products/p1', { expectedInventory: 3, price: 1 });
    expect(schemas.PatchProductBody.allOf).toEqual([
      { not: { required: ['inventoryChange', 'inventory'] } },
      { anyOf: [{ not: { required: ['expectedInventory'] } }, { required: ['inventory'] }] },
    ]);

    const { status } = await call('GET', '/api/products?maxPrice=100000000');
    expect(status).toBe(400);
    const maxPrice = document.paths['/api/products'].get.parameters.find(
      (parameter: { name: string }) => parameter.name === 'maxPrice',
    );
    expect(matches(maxPrice.schema, '100000000')).toBe(false);
    expect(matches(maxPrice.schema, '99999999.99')).toBe(true);
    // A header as HTTP clients can send it: no blanks at its ends, visible ASCII.
    const key = document.paths['/api/payments'].post.parameters.find(
      (parameter: { name: string }) => parameter.name === 'idempotency-key',
    );
    for (const refusedKey of ['', ' k', '\u00a0k', 'k ', 'k\u0001', 'clé'])
      expect(matches(key.schema, refusedKey), JSON.stringify(refusedKey)).toBe(false);
    for (const acceptedKey of ['k', 'a b', crypto.randomUUID()]) expect(matches(key.schema, acceptedKey)).toBe(true);
    const latin = await call(
      'POST',
      '/api/payments',
      { orderId: 'o1', paymentMethod: 'card' },
      { 'idempotency-key': 'clé' },
    );
    expect(latin.status).toBe(400);
    expect(subgraph.calls.length).toBe(before);
  });

  it('states only patterns that check in linear time, so no input can stall the gateway on one', async () => {
    const { body: document } = await call('GET', '/api/openapi.json');
    const patterns = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'pattern' && typeof value === 'string') patterns.add(value);
          else collect(value);
        }
      }
    };
    collect(document);
    expect(patterns.size).toBeGreaterThan(5);
    for (const pattern of patterns) {
      const verdict = checkSync(pattern, '');
      expect(verdict.status === 'safe' ? 'safe' : `${verdict.status}: ${JSON.stringify(verdict)}`, pattern).toBe(
        'safe',
      );
    }
  });

  it('refuses a long field ending in a refused character at once (400), as it refuses a short one', async () => {
    const before = subgraph.calls.length;
    for (const firstName of ['Ada\u0001', `${'a'.repeat(90)}\u0001`, `${'a'.repeat(500_000)}\u0001`]) {
      const { status, body } = await call('POST', '/api/users/register', {
        email: 'ada@example.com',
        password: 'xk3!pq9z-long',
        firstName,
        lastName: 'Lovelace',
      });
      expect(status).toBe(400);
      expect(body.errors.map((error: { field: string }) => error.field)).toEqual(['firstName']);
    }
    const { status } = await call('GET', `/api/products?category=${'a'.repeat(8000)}%00`);
    expect(status).toBe(400);
    expect(subgraph.calls.length).toBe(before);
  });

  it('is browsable in Swagger UI, served from npm assets', async () => {
    const page = await fetch(`${started.base}/api/docs`);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    // Every file the page loads from the gateway (a data: URL, the empty icon, loads nothing).
    for (const asset of [...html.matchAll(/(?:src|href)="(?!data:)([^"]+)"/g)].map((match) => match[1] as string)) {
      expect((await fetch(`${started.base}${asset}`)).status, asset).toBe(200);
    }
    expect(await (await fetch(`${started.base}/api/docs/init.js`)).text()).toContain('/api/openapi.json');
  });
});

describe('shims before and after the operation', () => {
  it('validates every part of the request before any subgraph is called', async () => {
    const before = subgraph.calls.length;
    const products = await call('GET', '/api/products?limit=500&inStock=maybe&minPrice=1.999');
    expect(products.status).toBe(400);
    expect(products.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(products.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(
      ['inStock', 'limit', 'minPrice'].sort(),
    );
    const range = await call('GET', '/api/products?minPrice=50&maxPrice=10');
    expect(range.status).toBe(400);
    expect(range.body.errors).toEqual([{ field: 'maxPrice', message: 'must not be less than minPrice' }]);
    const payment = await call('POST', '/api/payments', { orderId: 'o1', paymentMethod: 'card' });
    expect(payment.status).toBe(400);
    expect(payment.body.errors).toEqual([{ field: 'idempotency-key', message: expect.any(String) }]);
    const price = await call('POST', '/api/products', { name: 'x', category: 'c', price: 1.005 });
    expect(price.body.errors).toEqual([{ field: 'price', message: expect.any(String) }]);
    const order = await call('POST', '/api/orders', { items: [], shippingAddress: {} });
    expect(order.status).toBe(400);
    const patch = await call('PATCH', '/api/orders/o1', { status: 'LOST' });
    expect(patch.body.errors).toEqual([{ field: 'status', message: expect.any(String) }]);
    expect(subgraph.calls.length).toBe(before);
  });

  it('reads limit and offset from digits only, as the document types them (integer, never null)', async () => {
    const before = subgraph.calls.length;
    for (const query of [
      'offset=',
      'limit=',
      'offset=1e3',
      'offset=0x10',
      'offset=%201',
      'limit=5&limit=6',
      'offset=-1',
    ]) {
      const refused = await call('GET', `/api/products?${query}`);
      expect({ query, status: refused.status }).toEqual({ query, status: 400 });
      expect(refused.body.errors.map((error: { field: string }) => error.field)).toHaveLength(1);
    }
    expect(subgraph.calls.length).toBe(before);
    subgraph.answer = () => ({ data: { products: { totalCount: 0, edges: [] } } });
    const read = await call('GET', '/api/products?limit=5&offset=007');
    expect(read.body).toEqual({ products: [], total: 0, limit: 5, offset: 7 });
    expect(subgraph.calls.at(-1)?.body.variables).toMatchObject({ first: 5, offset: 7 });
    const { body: document } = await call('GET', '/api/openapi.json');
    const parameters = document.paths['/api/products'].get.parameters as { name: string; schema: Json }[];
    for (const name of ['limit', 'offset']) {
      expect(parameters.find((parameter) => parameter.name === name)?.schema.type).toBe('integer');
    }
  });

  it('maps money and references to the legacy shape', async () => {
    subgraph.answer = () => ({
      data: {
        order: {
          id: 'o1',
          user: { id: 'u1' },
          items: [{ product: { id: 'p1' }, quantity: 2, price: '19.99' }],
          status: 'PENDING',
          totalAmount: '39.98',
          shippingAddress: { street: 's', city: 'c', state: 'st', zipCode: 'z', country: 'US' },
          paymentStatus: 'PENDING',
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      },
    });
    const { status, body } = await call('GET', '/api/orders/o1');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: 'o1',
      userId: 'u1',
      items: [{ productId: 'p1', quantity: 2, price: 19.99 }],
      totalAmount: 39.98,
    });
    expect(subgraph.calls.at(-1)?.body.query).toMatch(/^query RestOrder__/);
  });

  it('answers 429 with Retry-After when the operation is throttled', async () => {
    subgraph.answer = () => ({
      data: null,
      errors: [
        { message: 'Too many failed login attempts', extensions: { code: 'TOO_MANY_REQUESTS', retryAfter: 30 } },
      ],
    });
    const { status, headers, body } = await call('POST', '/api/users/login', { email: 'a@b.co', password: 'x' });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('30');
    expect(body).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', retryAfter: 30 });
  });

  it('answers an internal failure as a 500 problem with the request id and nothing else', async () => {
    subgraph.answer = () => ({
      data: null,
      errors: [{ message: 'connect ECONNREFUSED 10.1.2.3:27017', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
    const { status, body } = await call('GET', '/api/payments/p1', undefined, { 'x-request-id': 'trace-500' });
    expect(status).toBe(500);
    expect(body).toMatchObject({ status: 500, code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-500' });
    expect(JSON.stringify(body)).not.toMatch(/10\.1\.2\.3|ECONNREFUSED|payments/);
  });

  it('answers a service that did not answer as a 503 problem with Retry-After, which the client may retry', async () => {
    subgraph.answer = () => ({
      data: null,
      errors: [
        {
          message: 'A service this request needs did not answer; try again shortly',
          extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 },
        },
      ],
    });
    const { status, headers, body } = await call('GET', '/api/payments/p1');
    expect(status).toBe(503);
    expect(headers.get('retry-after')).toBe('1');
    expect(body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
  });

  it('answers 401 with WWW-Authenticate (RFC 6750), naming an invalid token when one was sent', async () => {
    const before = subgraph.calls.length;
    const stale = await call('GET', '/api/products', undefined, { authorization: 'Bearer not-a-token' });
    expect([stale.status, stale.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(stale.headers.get('www-authenticate')).toBe('Bearer realm="shop", error="invalid_token"');
    expect(subgraph.calls.length).toBe(before);
    subgraph.answer = () => ({
      data: null,
      errors: [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    const anonymous = await call('GET', '/api/payments/p1');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="shop"');
  });

  it('answers a path it cannot decode as a 400 problem about the path, not about a body', async () => {
    const { status, body } = await call('GET', '/api/orders/%E0%A4%A');
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'BAD_REQUEST', detail: 'Malformed path: invalid percent-encoding' });
  });

  it('answers a missing resource as a 404 problem', async () => {
    subgraph.answer = () => ({ data: { user: null } });
    const { status, body } = await call('GET', '/api/users/nobody');
    expect(status).toBe(404);
    expect(body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  // Found by schemathesis (unsupported_method): these were 404 "No route", as if the path did not exist.
  it('answers another method on a known path as a 405 problem with Allow, before any subgraph call', async () => {
    const before = subgraph.calls.length;
    const orders = await call('DELETE', '/api/orders/o1');
    expect(orders.status).toBe(405);
    expect(orders.headers.get('allow')).toBe('GET, PATCH, HEAD');
    expect(orders.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(orders.body).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    const login = await call('PUT', '/api/users/login');
    expect([login.status, login.headers.get('allow')]).toEqual([405, 'POST']);
    // Methods /users/{id} serves, on a path of its own: not a user named "login" or "register".
    for (const [method, path] of [
      ['GET', '/api/users/login'],
      ['DELETE', '/api/users/login'],
      ['GET', '/api/users/register'],
      ['GET', '/api/users/password-reset'],
    ] as const) {
      const answer = await call(method, path);
      expect([method, path, answer.status, answer.headers.get('allow')]).toEqual([method, path, 405, 'POST']);
    }
    const document = await call('POST', '/api/openapi.json');
    expect([document.status, document.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(subgraph.calls.length).toBe(before);
    expect((await call('DELETE', '/api/nothing')).status).toBe(404);
  });
});
