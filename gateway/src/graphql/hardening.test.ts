import { createTestTokens } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { gatewayOverRecordingSubgraph, type Json, postJson, startGateway } from '../gateway.test-fixture.js';

const started = gatewayOverRecordingSubgraph();
const { subgraph } = started;

const json = (response: Response): Promise<Json> => response.json();

const post = (body: unknown, headers: Record<string, string> = {}) =>
  postJson(`${started.base}/graphql`, body, headers);

/** Sends the operation and expects it refused at validation, before any subgraph call. */
async function expectRefused(query: string, message: RegExp, variables?: Record<string, unknown>): Promise<void> {
  const before = subgraph.calls.length;
  const { status, body } = await post({ query, variables });
  expect(status).toBe(400);
  expect(body.errors[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  expect(body.errors[0].message).toMatch(message);
  expect(subgraph.calls.length).toBe(before);
}

const nested = (depth: number): string =>
  depth === 0 ? 'id' : `user { orders { edges { node { ${nested(depth - 1)} } } } }`;

describe('GraphQL limits', () => {
  it('lets an ordinary operation through to the subgraph (the counter works)', async () => {
    const before = subgraph.calls.length;
    subgraph.answer = () => ({ data: { order: null } });
    const { status } = await post({ query: `{ order(id: "o1") { ${nested(1)} } }` });
    expect(status).toBe(200);
    expect(subgraph.calls.length).toBeGreaterThan(before);
  });

  it('refuses a query nested too deep', async () => {
    await expectRefused(`{ order(id: "o1") { ${nested(3)} } }`, /depth/i);
  });

  it('refuses a query that costs too much', async () => {
    const fields = 'id name description price category inventory images createdAt updatedAt';
    const products = Array.from(
      { length: 12 },
      (_, i) => `p${i}: products(first: 100) { edges { node { ${fields} } } }`,
    );
    await expectRefused(`{ ${products.join(' ')} }`, /cost/i);
  });

  it('counts a page size given in a variable, left to its default (20) or given as null, as it counts a literal', async () => {
    const fields = 'id name description price category inventory images createdAt updatedAt';
    const pages = (size: string) =>
      Array.from({ length: 15 }, (_, i) => `p${i}: products${size} { edges { node { ${fields} } } }`).join(' ');
    // 15 pages of 100 in a variable; 15 pages of the default 20 (about 12,000): both over 10,000.
    await expectRefused(`query ($n: Int) { ${pages('(first: $n)')} }`, /cost/i, { n: 100 });
    await expectRefused(`{ ${pages('')} }`, /cost/i);
    // An explicit null is served as the default page, and costs as much.
    await expectRefused(`{ ${pages('(first: null)')} }`, /cost/i);
    await expectRefused(`query ($n: Int) { ${pages('(first: $n)')} }`, /cost/i, { n: null });
    // The same operations with pages of one are cheap, and go through.
    subgraph.answer = () => ({ data: {} });
    for (const [query, variables] of [
      [`query ($n: Int) { ${pages('(first: $n)')} }`, { n: 1 }],
      [`{ ${pages('(first: 1)')} }`, undefined],
    ] as const) {
      const before = subgraph.calls.length;
      await post({ query, variables });
      expect(subgraph.calls.length).toBeGreaterThan(before);
    }
    // Costs are remembered per document and variables: each set keeps its own answer.
    await expectRefused(`query ($n: Int) { ${pages('(first: $n)')} }`, /cost/i, { n: 100 });
    const before = subgraph.calls.length;
    await post({ query: `query ($n: Int) { ${pages('(first: $n)')} }`, variables: { n: 1 } });
    expect(subgraph.calls.length).toBeGreaterThan(before);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: product(id: "p${i}") { id }`);
    await expectRefused(`{ ${aliases.join(' ')} }`, /aliases/i);
  });

  it('refuses too many directives', async () => {
    await expectRefused(`{ __typename ${'@include(if: true) '.repeat(21)} }`, /directives/i);
  });

  it('refuses a document with too many tokens', async () => {
    const before = subgraph.calls.length;
    const { status, body } = await post({ query: `{ ${'__typename '.repeat(2_100)} }` });
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(body.errors[0].message).toMatch(/tokens/i);
    expect(subgraph.calls.length).toBe(before);
  });

  it('refuses batched operations and oversized bodies', async () => {
    const batch = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(batch.status).toBe(400);
    // Over the default BODY_LIMIT_BYTES (1 MiB).
    const huge = await post({ query: '{ __typename }', variables: { padding: 'x'.repeat(1_100_000) } });
    expect(huge.status).toBe(413);
    expect(huge.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it("keeps Apollo's CSRF prevention: a simple GET is refused, a preflighted one served", async () => {
    const url = `${started.base}/graphql?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(url)).status).toBe(400);
    const preflighted = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('CORS', () => {
  it('allows the CORS_ORIGINS only', async () => {
    const preflight = (origin: string) =>
      fetch(`${started.base}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    // The default CORS_ORIGINS (see @shop/platform's config).
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('errors from subgraphs', () => {
  it('masks an internal error and gives it the request id, without hosts, names or stacks', async () => {
    subgraph.answer = () => ({
      data: null,
      errors: [
        {
          message: 'connect ECONNREFUSED 10.1.2.3:5432',
          extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at pg (db.js:1)'] },
        },
      ],
    });
    const { body } = await post({ query: '{ product(id: "p1") { id } }' }, { 'x-request-id': 'trace-42' });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-42' },
      }),
    ]);
    expect(JSON.stringify(body)).not.toMatch(/10\.1\.2\.3|127\.0\.0\.1|products|db\.js/);
  });

  it("relays a contract error without the subgraph's name", async () => {
    subgraph.answer = () => ({ data: null, errors: [{ message: 'Not allowed', extensions: { code: 'FORBIDDEN' } }] });
    const { body } = await post({ query: '{ product(id: "p1") { id } }' });
    expect(body.errors[0]).toMatchObject({ message: 'Not allowed', extensions: { code: 'FORBIDDEN' } });
    expect(body.errors[0].extensions).not.toHaveProperty('serviceName');
  });

  it("relays a subgraph's HTTP 401 or 403 (a token that expired during the request) by its code alone, without the subgraph's address or body", async () => {
    for (const [status, code] of [
      [401, 'UNAUTHENTICATED'],
      [403, 'FORBIDDEN'],
    ] as const) {
      subgraph.status = status;
      subgraph.answer = () => ({ errors: [{ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } }] });
      try {
        const { body } = await post({ query: '{ product(id: "p1") { id } }' });
        expect(body.errors).toEqual([expect.objectContaining({ extensions: { code } })]);
        expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|graphql|Token expired/);
      } finally {
        subgraph.status = 200;
      }
    }
  });

  it('answers an unreachable subgraph as SERVICE_UNAVAILABLE, to retry, without naming its address', async () => {
    const down = await startGateway('http://127.0.0.1:9/graphql');
    try {
      await brokerConnected(down.base);
      const response = await fetch(`${down.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ product(id: "p1") { id } }' }),
      });
      const body = await json(response);
      expect(body.errors[0].extensions).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        retryAfter: 1,
        requestId: expect.any(String),
      });
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|:9\b|ECONNREFUSED|products/);
    } finally {
      await down.gateway.close();
    }
  });

  it('answers a token check the users subgraph cannot answer (before Apollo runs) as a 503 to retry, with the request id', async () => {
    // A signed-in request asks the users subgraph for the token's version first; here it is unreachable.
    const down = await startGateway('http://127.0.0.1:9/graphql');
    try {
      await brokerConnected(down.base);
      const token = await createTestTokens().sign({ id: 'u1', role: 'CUSTOMER' });
      const { status, body } = await postJson(
        `${down.base}/graphql`,
        { query: '{ me { id } }' },
        { authorization: `Bearer ${token}`, 'x-request-id': 'trace-500' },
      );
      expect(status).toBe(503);
      expect(body.errors).toEqual([
        {
          message: 'A service this request needs did not answer; try again shortly',
          extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1, requestId: 'trace-500' },
        },
      ]);
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|:9\b|ECONNREFUSED|users/);
    } finally {
      await down.gateway.close();
    }
  });
});

/**
 * Closing a gateway whose broker connection is still being set up races amqp's channel setup.
 * A readiness answer serves for a second, so one taken before the connection stays that long.
 */
async function brokerConnected(url: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const ready = await json(await fetch(`${url}/health/ready`));
      expect(ready.checks.rabbitmq.status).toBe('up');
    },
    { timeout: 10_000 },
  );
}

const INTROSPECTION = '{ __schema { queryType { name } } }';
const asBrowser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('outside production', () => {
  it('answers introspection', async () => {
    expect((await post({ query: INTROSPECTION })).body).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    });
  });

  it('serves GraphiQL at GET /graphql to a browser, with its assets from node_modules', async () => {
    const page = await fetch(`${started.base}/graphql`, { headers: asBrowser });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // nothing from the internet
    // Every file the page loads from the gateway (a data: URL, the empty icon, loads nothing).
    const assets = [...html.matchAll(/(?:src|href)="(?!data:)([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets).toEqual([
      '/ide/graphiql.css',
      '/ide/page.css',
      '/ide/react.js',
      '/ide/react-dom.js',
      '/ide/graphiql.js',
      '/ide/init.js',
    ]);
    for (const asset of assets) {
      const response = await fetch(`${started.base}${asset}`);
      expect(response.status, asset).toBe(200);
      // The page's own two files are small; the packages' bundles are not.
      const own = ['/ide/init.js', '/ide/page.css'].includes(asset);
      expect((await response.text()).length, asset).toBeGreaterThan(own ? 50 : 5_000);
    }
  });
});

describe('in production', () => {
  let production: { gateway: Gateway; base: string };
  beforeAll(async () => {
    production = await startGateway(started.subgraphUrl, { NODE_ENV: 'production' });
    await brokerConnected(production.base);
  });
  afterAll(() => production?.gateway.close());

  it('refuses introspection and hides field suggestions', async () => {
    const send = (query: string) =>
      fetch(`${production.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      }).then(json);
    const introspection = await send(INTROSPECTION);
    expect(introspection.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.data).toBeUndefined();
    const typo = await send('{ prodcts { totalCount } }');
    expect(typo.errors[0].message).not.toMatch(/Did you mean/);
  });

  it('serves no IDE', async () => {
    const response = await fetch(`${production.base}/graphql`, { headers: asBrowser });
    expect(response.headers.get('content-type')).not.toMatch(/html/);
    expect((await fetch(`${production.base}/ide/graphiql.js`)).status).toBe(404);
  });
});
