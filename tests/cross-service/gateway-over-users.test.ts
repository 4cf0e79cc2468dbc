// The gateway (createGateway) in front of the real users subgraph, in-process: tested against what
// it will really route to (REST shims, readiness, subscriptions' authentication).
import { createClient } from 'graphql-ws';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { gatewayOverUsers } from './in-process.fixture.js';

const stack = gatewayOverUsers({ database: 'gateway' });
const { tokens } = stack;

const ada = { email: 'ada@example.com', password: 'correct horse', firstName: 'Ada', lastName: 'Lovelace' };

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
const json = (response: Response): Promise<any> => response.json();

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stack.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('REST shim POST /api/users/register', () => {
  it('registers through the supergraph: 201 with the token and the contract user fields', async () => {
    const response = await post('/api/users/register', { ...ada, phone: '+14155550100', role: 'ADMIN' });
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(Object.keys(body.user).sort()).toEqual(
      ['createdAt', 'email', 'firstName', 'id', 'lastName', 'phone', 'role', 'updatedAt'].sort(),
    );
    expect(body.user).toMatchObject({ email: 'ada@example.com', phone: '+14155550100', role: 'CUSTOMER' });
    expect(await tokens.verify(body.token)).toEqual({ id: body.user.id, role: 'CUSTOMER', tokenVersion: 0 });
  });

  it('answers a duplicate email with a 409 problem', async () => {
    const response = await post('/api/users/register', ada);
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json(response)).toMatchObject({
      status: 409,
      code: 'CONFLICT',
      title: 'Conflict',
      type: expect.any(String),
    });
  });

  it('answers invalid input with a 400 problem listing the fields', async () => {
    const invalid = await post('/api/users/register', { ...ada, email: 'not-an-email' });
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).errors).toEqual([{ field: 'email', message: expect.any(String) }]);
    const missing = await post('/api/users/register', { email: 'x@example.com' });
    expect(missing.status).toBe(400);
    expect((await json(missing)).errors.map((error: { field: string }) => error.field)).toEqual([
      'password',
      'firstName',
      'lastName',
    ]);
  });

  it('answers malformed JSON and non-object bodies with a 400 problem, never a 500', async () => {
    for (const body of ['{"email": ', '"just a string"', '[1, 2]', 'null']) {
      const response = await post('/api/users/register', body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const unknown = await fetch(`${stack.base}/api/nothing-here`);
    expect(unknown.status).toBe(404);
  });

  it('refuses a bad token at the edge with a 401 problem', async () => {
    const response = await post('/api/users/register', ada, { authorization: 'Bearer garbage' });
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('POST /graphql', () => {
  const me = 'query { me { id email } }';

  it('forwards the caller token to the subgraph that resolves the operation', async () => {
    const registered = await json(await post('/api/users/register', { ...ada, email: 'grace@example.com' }));
    const response = await post('/graphql', { query: me }, { authorization: `Bearer ${registered.token}` });
    expect(response.status).toBe(200);
    expect((await json(response)).data.me).toEqual({ id: registered.user.id, email: 'grace@example.com' });
  });

  it('leaves an anonymous caller to the subgraph, which answers UNAUTHENTICATED', async () => {
    const body = await json(await post('/graphql', { query: me }));
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an invalid or expired token with HTTP 401 and a GraphQL error', async () => {
    const response = await post('/graphql', { query: me }, { authorization: 'Bearer not.a.jwt' });
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('answers an unreadable body with 400 BAD_REQUEST, never a 500', async () => {
    const response = await post('/graphql', '{"query": ');
    expect(response.status).toBe(400);
    expect((await json(response)).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('echoes a safe x-request-id and replaces an unsafe one', async () => {
    const kept = await post('/graphql', { query: '{ __typename }' }, { 'x-request-id': 'trace-123' });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await post('/graphql', { query: '{ __typename }' }, { 'x-request-id': 'bad id\twith spaces' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health', () => {
  it('is up when the broker and every subgraph are', async () => {
    expect((await fetch(`${stack.base}/health/live`)).status).toBe(200);
    // The broker connection is made in the background; the report follows it.
    await vi.waitFor(async () => expect((await json(await fetch(`${stack.base}/health/ready`))).status).toBe('up'), {
      timeout: 5_000,
    });
    const ready = await fetch(`${stack.base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toMatchObject({
      status: 'up',
      checks: { supergraph: { status: 'up' }, rabbitmq: { status: 'up' }, users: { status: 'up' } },
    });
  });
});

describe('graphql-ws on /graphql', () => {
  const subscription = 'subscription { orderStatusChanged(orderId: "o-1") { id status } }';

  /** The first thing the server does with one subscription: a result, an error or a close. */
  const firstAnswer = (connectionParams: Record<string, unknown>) =>
    new Promise<{ errors?: unknown; closeCode?: number }>((resolve) => {
      const client = createClient({
        url: `${stack.base.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
        on: { closed: (event) => resolve({ closeCode: (event as { code: number }).code }) },
      });
      client.subscribe(
        { query: subscription },
        {
          next: () => resolve({}),
          error: (errors) => {
            resolve({ errors });
            void client.dispose();
          },
          complete: () => void client.dispose(),
        },
      );
    });

  it('closes a connection with an invalid token with 4403 Forbidden', async () => {
    expect(await firstAnswer({ authorization: 'Bearer garbage' })).toEqual({ closeCode: 4403 });
  });

  it('accepts an anonymous connection but refuses its subscription with UNAUTHENTICATED', async () => {
    const { errors } = await firstAnswer({});
    expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
  });

  it('validates subscriptions against the supergraph it serves', async () => {
    // A real account: the gateway refuses tokens of accounts the users subgraph does not know.
    const { token } = await json(await post('/api/users/register', { ...ada, email: 'ws@example.com' }));
    const { errors } = await firstAnswer({ authorization: `Bearer ${token}` });
    // This supergraph (users only) has no Subscription type.
    expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
  });

  it('serves WebSockets on /graphql only', async () => {
    const socket = new WebSocket(`${stack.base.replace('http', 'ws')}/elsewhere`, 'graphql-transport-ws');
    const failure = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(failure.message).toMatch(/404/);
  });
});
