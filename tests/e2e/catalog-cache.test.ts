// The gateway's response cache of public catalogue data against the real processes: a cached
// product page stays cached, and a change through the API (products' PostgreSQL outbox → RabbitMQ
// → each replica's own queue) makes the next read fresh on every gateway replica.

import { eventually } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, GATEWAY, type GatewayReplica, startGatewayReplica } from './stack.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
type Json = any;

const PRODUCT = 'query CachedProduct($id: ID!) { product(id: $id) { id name price inventory } }';

const replicas: GatewayReplica[] = [];
let admin: string;

async function graphql(base: string, query: string, variables: Json, token?: string) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body: Json = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return { data: body.data, age: response.headers.get('age'), cacheControl: response.headers.get('cache-control') };
}

beforeAll(async () => {
  replicas.push(await startGatewayReplica());
  const login = await fetch(`${GATEWAY}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  admin = ((await login.json()) as Json).token;
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
});

describe('catalogue response cache across gateway replicas', () => {
  it('serves a product from cache until it changes, then fresh on both replicas', async () => {
    const created = await graphql(
      GATEWAY,
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { name: 'Cached kettle', price: '30.00', category: `e2e-cache-${Date.now()}`, inventory: 4 } },
      admin,
    );
    const id = created.data.createProduct.id;
    const bases = [GATEWAY, replicas[0]?.url ?? ''];
    for (const base of bases) {
      const first = await graphql(base, PRODUCT, { id });
      expect(first.cacheControl).toBe('max-age=10, public');
      // Answered again from this replica's cache, which says how old the answer is. Other tests'
      // product changes empty the caches too: the next read after one is a miss, and fills it again.
      const again = await eventually(async () => {
        const read = await graphql(base, PRODUCT, { id });
        return read.age ? read : undefined;
      });
      expect(again.data).toEqual(first.data);
      expect(again.age).toMatch(/^\d+$/);
    }
    await graphql(
      GATEWAY,
      'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }',
      { id, input: { price: '35.00', name: 'Renamed kettle' } },
      admin,
    );
    for (const base of bases) {
      const fresh = await eventually(async () => {
        const read = await graphql(base, PRODUCT, { id });
        return read.data.product.price === '35.00' ? read : undefined;
      });
      expect(fresh.data.product).toEqual({ id, name: 'Renamed kettle', price: '35.00', inventory: 4 });
      expect(fresh.age).toBeNull();
    }
  });
});
