// CONTRACT.md, "Processes and ports": the gateway serves POST/GET /graphql, graphql-ws on
// ws://…/graphql, the /api/* shims, /health/live and /health/ready.
import { describe, expect, it } from 'vitest';
import { call, rest } from './gateway.client.js';
import { subscribe } from './subscription.client.js';

describe('"Processes and ports": the gateway', () => {
  it('answers /health/live and /health/ready with 200 while the stack is up', async () => {
    expect((await call('GET', '/health/live')).status).toBe(200);
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('content-type')).toMatch(/json/);
    expect(ready.body.status).toBe('up');
  });

  it('serves the supergraph on POST /graphql', async () => {
    const answer = await call('POST', '/graphql', {
      body: { query: '{ __typename products(first: 1) { totalCount } }' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data.__typename).toBe('Query');
  });

  it('serves queries on GET /graphql (GraphQL over HTTP), and never mutations', async () => {
    const query = encodeURIComponent('{ products(first: 1) { totalCount } }');
    // A JSON content type marks the request as not a browser's simple request (CSRF prevention).
    const answer = await call('GET', `/graphql?query=${query}`, { headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
    expect(answer.body.data.products.totalCount).toEqual(expect.any(Number));
    const mutation = encodeURIComponent('mutation { logout(refreshToken: "x") }');
    const refused = await call('GET', `/graphql?query=${mutation}`, {
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body?.data?.logout).toBeUndefined();
  });

  it('speaks graphql-ws on ws://…/graphql', async () => {
    const subscription = subscribe('subscription { orderStatusChanged(orderId: "x") { id } }', {});
    try {
      expect(await subscription.settled(20_000)).toBe(true);
      expect(subscription.failure()?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await subscription.close();
    }
  });

  it('serves the REST shims under /api', async () => {
    expect((await rest('GET', '/products?limit=1')).status).toBe(200);
  });
});
