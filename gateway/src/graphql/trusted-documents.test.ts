import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestTokens } from '@shop/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { postJson, RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';
import { subscriptionClient } from '../subscriptions/subscription.test-client.js';
import type { PersistedQueryManifest } from './persisted-documents.js';

// Trusted documents: the tracker's manifest (pnpm persisted:manifest) loaded by the gateway.
const MANIFEST = fileURLToPath(new URL('../tracker/persisted-documents.json', import.meta.url));
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as PersistedQueryManifest;
const catalogue = manifest.operations.find((operation) => operation.name === 'Catalogue');
if (!catalogue) throw new Error('the tracker manifest has no Catalogue query');
const products = { products: { edges: [{ node: { id: 'p1', name: 'Lamp', price: '9.99', inventory: 3 } }] } };
const variables = { filter: {} };

const subgraph = new RecordingSubgraph();
let url: string;
let gateway: Gateway | undefined;
let base: string;

beforeAll(async () => {
  url = await subgraph.start();
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});
afterAll(() => subgraph.close());

async function start(env: Record<string, string>): Promise<void> {
  ({ gateway, base } = await startGateway(url, env));
  subgraph.calls.length = 0;
  subgraph.answer = () => ({ data: products });
}
const post = (body: unknown) => postJson(`${base}/graphql`, body);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('persisted documents (manifest loaded, allowlist off)', () => {
  it('runs an allowed id sent as documentId (plain or sha256:-prefixed), as Apollo sha256Hash, and over GET', async () => {
    await start({ PERSISTED_DOCUMENTS_PATH: MANIFEST });
    expect((await post({ documentId: catalogue.id, variables })).body).toEqual({ data: products });
    expect((await post({ documentId: `sha256:${catalogue.id}`, variables })).body).toEqual({ data: products });
    const apollo = { extensions: { persistedQuery: { version: 1, sha256Hash: catalogue.id } }, variables };
    expect((await post(apollo)).body).toEqual({ data: products });
    const search = new URLSearchParams({ documentId: catalogue.id, variables: JSON.stringify(variables) });
    const get = await fetch(`${base}/graphql?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await get.json()).toEqual({ data: products });
    expect(subgraph.calls).toHaveLength(4);
    expect(subgraph.calls[0]?.body.query).toMatch(/^query Catalogue__products__0/);
  });

  it('answers an unknown id with PERSISTED_QUERY_NOT_FOUND and calls no subgraph', async () => {
    await start({ PERSISTED_DOCUMENTS_PATH: MANIFEST });
    const unknown = await post({ documentId: sha256('query Nope { __typename }') });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({
      errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }],
    });
    expect(subgraph.calls).toHaveLength(0);
  });

  it('still runs raw documents and automatic persisted queries', async () => {
    await start({ PERSISTED_DOCUMENTS_PATH: MANIFEST });
    const query = '{ __typename }';
    const hash = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } };
    expect((await post(hash)).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post({ query, ...hash })).body).toEqual({ data: { __typename: 'Query' } });
    expect((await post(hash)).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a request with both a query and a documentId', async () => {
    await start({ PERSISTED_DOCUMENTS_PATH: MANIFEST });
    const both = await post({ query: '{ __typename }', documentId: catalogue.id });
    expect(both.status).toBe(400);
    expect(both.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});

describe('allowlist mode (PERSISTED_DOCUMENTS_ONLY=true)', () => {
  const allowlist = { PERSISTED_DOCUMENTS_PATH: MANIFEST, PERSISTED_DOCUMENTS_ONLY: 'true' };

  it('runs the manifest by id, and its documents sent as text however they are laid out', async () => {
    await start(allowlist);
    expect((await post({ documentId: catalogue.id, variables })).body).toEqual({ data: products });
    const relaid = catalogue.body.replace(/\s+/g, '  ').replace('{', '{ # the same document\n');
    expect((await post({ query: relaid, variables })).body).toEqual({ data: products });
  });

  it('refuses any other document with a clear 400, before any subgraph is called', async () => {
    await start(allowlist);
    for (const query of ['{ __typename }', 'query { products { totalCount } }', '{ not graphql']) {
      const refused = await post({ query });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([
        {
          message: expect.stringMatching(/runs only persisted documents/),
          extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
        },
      ]);
    }
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(400);
    expect(subgraph.calls).toHaveLength(0);
  });

  it('registers no automatic persisted query and knows only the manifest by hash', async () => {
    await start(allowlist);
    const query = '{ __typename }';
    const hash = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } };
    expect((await post({ query, ...hash })).status).toBe(400);
    expect((await post(hash)).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it("keeps the REST shims working: they run the gateway's own operations, not client documents", async () => {
    await start(allowlist);
    subgraph.answer = () => ({ data: { user: null } });
    const response = await fetch(`${base}/api/users/nobody`);
    expect(response.status).toBe(404);
    expect(subgraph.calls.at(-1)?.body.query).toMatch(/^query RestUser/);
  });

  it("refuses a graphql-ws subscription that is not the manifest's, and accepts the tracker's", async () => {
    await start(allowlist);
    subgraph.answer = () => ({ data: { order: { id: 'o1' } } });
    const tokens = createTestTokens();
    const client = subscriptionClient(base, await tokens.sign({ id: 'u1', role: 'CUSTOMER' }));
    const subscribe = (query: string) =>
      new Promise<unknown>((resolve) => {
        client.subscribe(
          { query, variables: { orderId: 'o1' } },
          { next: (value) => resolve(value), error: resolve, complete: () => resolve('complete') },
        );
      });
    try {
      const foreign = await subscribe('subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id } }');
      expect(foreign).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/runs only persisted documents/) }),
      ]);
      expect(subgraph.calls).toHaveLength(0);
      // The tracker's own subscription passes the allowlist and goes on to its authorizing query
      // (which this stand-in subgraph answers with an order too thin to be found).
      const tracker = manifest.operations.find((operation) => operation.type === 'subscription');
      expect(await subscribe(tracker?.body ?? '')).toEqual([
        expect.objectContaining({ message: 'Order o1 not found' }),
      ]);
      expect(subgraph.calls).toHaveLength(1);
    } finally {
      await client.dispose();
    }
  });

  it('will not start without a manifest', async () => {
    await expect(startGateway(url, { PERSISTED_DOCUMENTS_ONLY: 'true' })).rejects.toThrow(
      /PERSISTED_DOCUMENTS_ONLY: needs PERSISTED_DOCUMENTS_PATH/,
    );
  });
});
