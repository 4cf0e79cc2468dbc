// Every REST shim through the running stack: the OpenAPI document is walked and each documented
// operation called, on its happy path and its error paths; answers must match what is documented.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestRoute } from '../../gateway/src/rest/rest-route.js';
import { restRoutes } from '../../gateway/src/rest/use-rest.js';
import { resetLinkToken } from '../contract/mailbox.js';
import { ADDRESS, ADMIN, GATEWAY, graphql } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
type Json = any;
interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

const PASSWORD = 'rest shim e2e password';
const run = Date.now().toString(36);
const emailOf = (name: string) => `${name}-${run}@rest.e2e.test`;

let document: Json;
/** operationId → the statuses each call actually answered, checked against the document at the end. */
const answered = new Map<string, Set<number>>();

async function call(
  operationId: string,
  path: string,
  options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const route = restRoutes.find((candidate) => candidate.operationId === operationId) as RestRoute;
  const response = await fetch(`${GATEWAY}/api${path}`, {
    method: route.method.toUpperCase(),
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  const answer = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  answered.set(operationId, (answered.get(operationId) ?? new Set()).add(answer.status));
  if (response.ok) {
    // A success has exactly the documented shape (the same zod schema the document is made from), or none.
    const parsed = route.response.schema?.safeParse(answer.body) ?? { error: text ? { issues: [text] } : undefined };
    expect(parsed.error?.issues ?? [], `${operationId} ${answer.status}`).toEqual([]);
  } else {
    expect(response.headers.get('content-type'), `${operationId} ${answer.status}`).toMatch(
      /^application\/problem\+json/,
    );
    expect(answer.body).toMatchObject({ status: answer.status, type: expect.any(String), title: expect.any(String) });
  }
  return answer;
}

let admin: string;
let ada: { token: string; id: string };
let bob: { token: string; id: string };
let productId: string;
const category = `rest-${run}`;

beforeAll(async () => {
  document = await (await fetch(`${GATEWAY}/api/openapi.json`)).json();
  admin = (await call('loginUser', '/users/login', { body: ADMIN })).body.token;
});

afterAll(() => {
  // Walk the document: every operation was called, and answered only statuses it documents.
  const operations = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([, methods]) =>
    Object.values(methods),
  );
  expect(operations.map((operation) => operation.operationId).sort()).toEqual([...answered.keys()].sort());
  for (const operation of operations) {
    const documented = Object.keys(operation.responses).map(Number);
    for (const status of answered.get(operation.operationId) ?? []) {
      expect(documented, `${operation.operationId} answered an undocumented ${status}`).toContain(status);
    }
  }
});

describe('users', () => {
  it('registers (201), refuses a duplicate (409) and bad input (400)', async () => {
    const created = await call('registerUser', '/users/register', {
      body: { email: emailOf('ada'), password: PASSWORD, firstName: 'Ada', lastName: 'Lovelace' },
    });
    expect(created.status).toBe(201);
    ada = { token: created.body.token, id: created.body.user.id };
    const other = await call('registerUser', '/users/register', {
      body: { email: emailOf('bob'), password: PASSWORD, firstName: 'Bob', lastName: 'B' },
    });
    bob = { token: other.body.token, id: other.body.user.id };
    const duplicate = await call('registerUser', '/users/register', {
      body: { email: emailOf('ada'), password: PASSWORD, firstName: 'A', lastName: 'L' },
    });
    expect(duplicate.status).toBe(409);
    const invalid = await call('registerUser', '/users/register', { body: { email: emailOf('x') } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((error: { field: string }) => error.field)).toEqual(
      expect.arrayContaining(['password', 'firstName', 'lastName']),
    );
  });

  it('emails a reset link (202 whatever the address), sets a password with it once (200, then 401)', async () => {
    const email = emailOf('reset');
    await call('registerUser', '/users/register', {
      body: { email, password: PASSWORD, firstName: 'R', lastName: 'S' },
    });
    expect((await call('requestPasswordReset', '/users/password-reset', { body: { email } })).status).toBe(202);
    const unknown = await call('requestPasswordReset', '/users/password-reset', { body: { email: emailOf('none') } });
    expect(unknown).toMatchObject({ status: 202, body: { accepted: true } });
    expect((await call('requestPasswordReset', '/users/password-reset', { body: {} })).status).toBe(400);
    const token = await resetLinkToken(email);
    const body = { token, newPassword: 'a new rest password' };
    const signedIn = await call('resetPassword', '/users/password-reset/confirm', { body });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.email).toBe(email);
    expect((await call('resetPassword', '/users/password-reset/confirm', { body })).status).toBe(401);
    expect((await call('resetPassword', '/users/password-reset/confirm', { body: { token } })).status).toBe(400);
  });

  it('logs in (200) and refuses a wrong password (401)', async () => {
    const ok = await call('loginUser', '/users/login', { body: { email: emailOf('ada'), password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(ada.id);
    const wrong = await call('loginUser', '/users/login', {
      body: { email: emailOf('ada'), password: 'not it at all' },
    });
    expect(wrong.status).toBe(401);
    expect((await call('loginUser', '/users/login', { body: {} })).status).toBe(400);
  });

  it('counts characters as the document does, an emoji as one, on REST and GraphQL alike', async () => {
    const rules = document.components.schemas.RegisterBody.properties;
    const emoji = (count: number) => '\u{1f600}'.repeat(count);
    const register = (name: number, password: string, who: string) =>
      call('registerUser', '/users/register', {
        body: { email: emailOf(who), password, firstName: emoji(name), lastName: 'E' },
      });
    // JSON Schema's lengths count code points, as zod's do; an emoji is two UTF-16 units, so a rule
    // reading String.length would refuse a name of 100 or take a password of four.
    const longest = await register(rules.firstName.maxLength, emoji(rules.password.minLength), 'emoji');
    expect(longest.status).toBe(201);
    expect(longest.body.user.firstName).toBe(emoji(rules.firstName.maxLength));
    const tooLong = await register(rules.firstName.maxLength + 1, emoji(8), 'emoji-long');
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors.map((error: { field: string }) => error.field)).toEqual(['firstName']);
    const shortPassword = await register(1, emoji(rules.password.minLength / 2), 'emoji-short');
    expect(shortPassword.status).toBe(400);
    expect(shortPassword.body.errors.map((error: { field: string }) => error.field)).toEqual(['password']);
    // GraphQL, whose rules are the subgraph's: the same count.
    const registered = await graphql(
      'mutation ($input: RegisterInput!) { register(input: $input) { user { firstName } } }',
      {
        input: { email: emailOf('emoji-gql'), password: emoji(8), firstName: emoji(100), lastName: 'E' },
      },
    );
    expect(registered).toEqual({ data: { register: { user: { firstName: emoji(100) } } } });
  });

  it('shows a user to themselves and to an admin only', async () => {
    expect((await call('getUser', `/users/${ada.id}`, { token: ada.token })).body).toMatchObject({
      id: ada.id,
      email: emailOf('ada'),
    });
    expect((await call('getUser', `/users/${ada.id}`, { token: admin })).status).toBe(200);
    expect((await call('getUser', `/users/${ada.id}`, { token: bob.token })).status).toBe(404);
    expect((await call('getUser', `/users/${ada.id}`)).status).toBe(401);
  });

  it('deletes your own account after your current password (204); then its token and password end', async () => {
    const email = emailOf('leaving');
    const registered = await call('registerUser', '/users/register', {
      body: { email, password: PASSWORD, firstName: 'L', lastName: 'V' },
    });
    const { token } = registered.body;
    const deletion = (currentPassword: unknown, as?: string) =>
      call('deleteMyAccount', '/users/me/deletion', { body: { currentPassword }, token: as });
    const wrong = await deletion('not the password', token);
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.map((error: { field: string }) => error.field)).toEqual(['currentPassword']);
    expect((await deletion(PASSWORD)).status).toBe(401);
    expect((await deletion(ADMIN.password, admin)).status).toBe(409);
    expect((await call('deleteMyAccount', '/users/me/deletion', { body: {}, token })).status).toBe(400);
    const deleted = await deletion(PASSWORD, token);
    expect([deleted.status, deleted.body]).toEqual([204, undefined]);
    expect((await call('loginUser', '/users/login', { body: { email, password: PASSWORD } })).status).toBe(401);
    await expect
      .poll(async () => (await call('getUser', `/users/${registered.body.user.id}`, { token })).status, {
        timeout: 15_000,
      })
      .toBe(401);
  });

  it("lets an admin delete a customer's account (204, again 204), never an admin's (409)", async () => {
    const registered = await call('registerUser', '/users/register', {
      body: { email: emailOf('removed'), password: PASSWORD, firstName: 'R', lastName: 'M' },
    });
    const { id } = registered.body.user;
    expect((await call('deleteUser', `/users/${id}`, { token: bob.token })).status).toBe(403);
    expect((await call('deleteUser', `/users/${id}`)).status).toBe(401);
    expect((await call('deleteUser', `/users/${id}`, { token: admin })).status).toBe(204);
    expect((await call('deleteUser', `/users/${id}`, { token: admin })).status).toBe(204);
    const erased = await call('getUser', `/users/${id}`, { token: admin });
    expect(erased.body).toMatchObject({ id, firstName: 'Deleted', lastName: 'Account' });
    expect((await call('deleteUser', '/users/no-such-user', { token: admin })).status).toBe(404);
    const adminId = (await call('loginUser', '/users/login', { body: ADMIN })).body.user.id;
    expect((await call('deleteUser', `/users/${adminId}`, { token: admin })).status).toBe(409);
  });
});

describe('products', () => {
  it('creates as an admin only (201), with money as numbers', async () => {
    const body = { name: 'Rest Widget', description: 'w', price: 12.5, category, inventory: 3, images: [] };
    const created = await call('createProduct', '/products', { body, token: admin });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Rest Widget', price: 12.5, inventory: 3 });
    productId = created.body.id;
    await call('createProduct', '/products', { body: { ...body, name: 'Second', price: 30 }, token: admin });
    expect((await call('createProduct', '/products', { body, token: ada.token })).status).toBe(403);
    expect((await call('createProduct', '/products', { body })).status).toBe(401);
    expect((await call('createProduct', '/products', { body: { ...body, price: 'free' }, token: admin })).status).toBe(
      400,
    );
  });

  it('lists with filters, limit and offset', async () => {
    const all = await call('listProducts', `/products?category=${category}`);
    expect(all.body).toMatchObject({ total: 2, limit: 20, offset: 0 });
    const page = await call('listProducts', `/products?category=${category}&limit=1&offset=1`);
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.body.products).toHaveLength(1);
    expect(page.body.products[0].id).toBe(all.body.products[1].id);
    const cheap = await call('listProducts', `/products?category=${category}&maxPrice=20&inStock=true`);
    expect(cheap.body.products.map((product: { id: string }) => product.id)).toEqual([productId]);
    expect((await call('listProducts', '/products?limit=0')).status).toBe(400);
  });

  it('patches some fields as an admin (200); unknown ids are 404', async () => {
    const patched = await call('updateProduct', `/products/${productId}`, { body: { price: 10 }, token: admin });
    expect(patched.body).toMatchObject({ id: productId, price: 10, name: 'Rest Widget' });
    expect(
      (await call('updateProduct', `/products/${productId}`, { body: { price: 1 }, token: ada.token })).status,
    ).toBe(403);
    const missing = await call('updateProduct', '/products/00000000-0000-4000-8000-000000000000', {
      body: { price: 1 },
      token: admin,
    });
    expect(missing.status).toBe(404);
    expect((await call('updateProduct', `/products/${productId}`, { body: {}, token: admin })).status).toBe(400);
  });

  it('takes a product at every length limit however the client escapes it, on REST and GraphQL alike', async () => {
    const rules = document.components.schemas.CreateProductBody.properties;
    const text = (max: number, start: string) => start + 'x'.repeat(max - start.length);
    const fields = {
      name: text(rules.name.maxLength, 'Longest '),
      description: text(rules.description.maxLength, ''),
      category: text(rules.category.maxLength, `${category}-longest-`),
      inventory: 1,
      images: Array.from({ length: rules.images.maxItems }, (_, i) =>
        text(rules.images.items.maxLength, `https://img.example/${i}/`),
      ),
    };
    // The largest body the document allows: every character written \uXXXX, as Python's json
    // writes anything beyond ASCII, six bytes each.
    const raw = escapedJson({ ...fields, price: 1 });
    expect(raw.length).toBeGreaterThan(250_000);
    const created = await call('createProduct', '/products', { raw, token: admin });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(fields);
    const mutation = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { name images } }';
    const response = await fetch(`${GATEWAY}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: escapedJson({ query: mutation, variables: { input: { ...fields, price: '1.00' } } }),
    });
    expect(await response.json()).toEqual({ data: { createProduct: { name: fields.name, images: fields.images } } });
  });

  it('moves the stock by inventoryChange, or sets it only from the count read (409 otherwise)', async () => {
    const patch = (body: object) => call('updateProduct', `/products/${productId}`, { body, token: admin });
    const { inventory } = (await patch({ inventoryChange: 2 })).body;
    expect((await patch({ inventoryChange: -1 })).body.inventory).toBe(inventory - 1);
    const stale = await patch({ inventory: 50, expectedInventory: inventory });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      code: 'CONFLICT',
      detail: expect.stringContaining(`${inventory - 1} in stock`),
    });
    const below = await patch({ inventoryChange: -(inventory + 1) });
    expect(below.status).toBe(409);
    expect((await patch({ inventory, expectedInventory: inventory - 1 })).body.inventory).toBe(inventory);
  });
});

describe('orders and payments', () => {
  let orderId: string;

  it('places an order (201) with items carrying productId, quantity, price', async () => {
    const created = await call('createOrder', '/orders', {
      body: { items: [{ productId, quantity: 2 }], shippingAddress: ADDRESS },
      token: ada.token,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      userId: ada.id,
      status: 'PENDING',
      totalAmount: 20,
      items: [{ productId, quantity: 2, price: 10 }],
    });
    orderId = created.body.id;
    const tooMany = await call('createOrder', '/orders', {
      body: { items: [{ productId, quantity: 50 }], shippingAddress: ADDRESS },
      token: ada.token,
    });
    expect(tooMany.status).toBe(409);
    const unknown = await call('createOrder', '/orders', {
      body: { items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }], shippingAddress: ADDRESS },
      token: ada.token,
    });
    expect(unknown.status).toBe(404);
    expect((await call('createOrder', '/orders', { body: { items: [] }, token: ada.token })).status).toBe(400);
    expect(
      (
        await call('createOrder', '/orders', {
          body: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS },
        })
      ).status,
    ).toBe(401);
  });

  it('shows an order to its owner and admins only', async () => {
    expect((await call('getOrder', `/orders/${orderId}`, { token: ada.token })).body.id).toBe(orderId);
    expect((await call('getOrder', `/orders/${orderId}`, { token: admin })).status).toBe(200);
    expect((await call('getOrder', `/orders/${orderId}`, { token: bob.token })).status).toBe(404);
    expect((await call('getOrder', '/orders/no-such-order', { token: admin })).status).toBe(404);
  });

  it('pays once per idempotency key: 201, then 200 on a replay, 409 on a different body', async () => {
    const headers = { 'idempotency-key': `rest-${orderId}` };
    const body = { orderId, paymentMethod: 'card' };
    expect(
      (
        await call('createPayment', '/payments', {
          body,
          token: bob.token,
          headers: { 'idempotency-key': `bob-${run}` },
        })
      ).status,
    ).toBe(404);
    const paid = await call('createPayment', '/payments', { body, token: ada.token, headers });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ orderId, amount: 20, status: 'SUCCEEDED', paymentMethod: 'card' });
    const replay = await call('createPayment', '/payments', { body, token: ada.token, headers });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(paid.body.id);
    const reused = await call('createPayment', '/payments', {
      body: { ...body, paymentMethod: 'paypal' },
      token: ada.token,
      headers,
    });
    expect(reused.status).toBe(409);
    expect((await call('createPayment', '/payments', { body, token: ada.token })).status).toBe(400);
    expect((await call('createPayment', '/payments', { body, headers })).status).toBe(401);

    expect((await call('getPayment', `/payments/${paid.body.id}`, { token: ada.token })).body.id).toBe(paid.body.id);
    expect((await call('getPayment', `/payments/${paid.body.id}`, { token: admin })).status).toBe(200);
    expect((await call('getPayment', `/payments/${paid.body.id}`, { token: bob.token })).status).toBe(404);
    expect((await call('getPayment', '/payments/no-such-payment', { token: admin })).status).toBe(404);
  });

  it("moves the order through its life cycle; an admin's move is 403 for the owner, anything else 409, or 404 for a stranger", async () => {
    await expect
      .poll(async () => (await call('getOrder', `/orders/${orderId}`, { token: ada.token })).body.status, {
        timeout: 15_000,
        interval: 200,
      })
      .toBe('PAID');
    // The contract: only an admin ships; the owner's role may not (403), others have no access (404).
    const byOwner = await call('updateOrderStatus', `/orders/${orderId}`, {
      body: { status: 'SHIPPED' },
      token: ada.token,
    });
    expect(byOwner.status).toBe(403);
    const byStranger = await call('updateOrderStatus', `/orders/${orderId}`, {
      body: { status: 'CANCELLED' },
      token: bob.token,
    });
    expect(byStranger.status).toBe(404);
    const shipped = await call('updateOrderStatus', `/orders/${orderId}`, {
      body: { status: 'SHIPPED' },
      token: admin,
    });
    expect(shipped.body).toMatchObject({ id: orderId, status: 'SHIPPED' });
    const cancel = await call('updateOrderStatus', `/orders/${orderId}`, {
      body: { status: 'CANCELLED' },
      token: admin,
    });
    expect(cancel.status).toBe(409);
    expect(
      (await call('updateOrderStatus', `/orders/${orderId}`, { body: { status: 'LOST' }, token: admin })).status,
    ).toBe(400);
    expect(
      (await call('updateOrderStatus', '/orders/no-such-order', { body: { status: 'SHIPPED' }, token: admin })).status,
    ).toBe(404);
  });
});

/** JSON with every character of every string written as a \uXXXX escape. */
function escapedJson(value: unknown): string {
  if (typeof value === 'string') {
    return `"${value
      .split('')
      .map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('')}"`;
  }
  if (Array.isArray(value)) return `[${value.map(escapedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, field]) => `${escapedJson(key)}:${escapedJson(field)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
