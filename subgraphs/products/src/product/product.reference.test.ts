import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestTokens, serveTestSubgraph, type TestSubgraph } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../generated/prisma/client.js';
import { productsSubgraph } from '../schema.js';
import { StockService } from '../stock/stock.service.js';
import { ProductService } from './product.service.js';

// A client of its own that reports every SQL statement it sends, to count them per request.
const db = new PrismaClient({
  adapter: new PrismaPg({
    connectionString: process.env.TEST_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop_test',
  }),
  log: [{ emit: 'event', level: 'query' }],
});
const statements: string[] = [];
db.$on('query', (event) => statements.push(event.query));
const category = `test-${randomUUID()}`;
let server: TestSubgraph;
let url: string;
const ids: string[] = [];

beforeAll(async () => {
  server = await serveTestSubgraph(
    productsSubgraph,
    { products: new ProductService(db), stock: new StockService(db) },
    createTestTokens(),
  );
  url = server.url;
  for (let i = 0; i < 50; i++) {
    const product = await db.product.create({
      data: { name: `Item ${i}`, description: '', price: '1.50', category, inventory: i },
    });
    ids.push(product.id);
  }
});
afterAll(async () => {
  await server.close();
  await db.product.deleteMany({ where: { category } });
  await db.$disconnect();
});

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name inventory } }
}`;

async function entities(representationIds: string[]) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: ENTITIES,
      variables: { representations: representationIds.map((id) => ({ __typename: 'Product', id })) },
    }),
  });
  return (await response.json()) as {
    data?: { _entities: ({ id: string; inventory: number } | null)[] };
    errors?: { path: (string | number)[]; extensions: { code: string } }[];
  };
}

describe('Product references', () => {
  it('resolves a page of 50 references (an order page’s items) with one database query', async () => {
    // Repeated products, as in orders that share items: each id is read once.
    const requested = [...ids, ...ids.slice(0, 10)];
    statements.length = 0;
    const result = await entities(requested);
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities.map((product) => product?.id)).toEqual(requested);
    expect(result.data?._entities[7]?.inventory).toBe(7);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/SELECT .* FROM "public"\."products" WHERE "public"\."products"\."id" IN/);
  });

  it('answers NOT_FOUND for unknown and malformed ids alone, in the same single query', async () => {
    statements.length = 0;
    const unknown = randomUUID();
    const result = await entities([ids[0] ?? '', unknown, 'not-a-uuid', ids[1] ?? '']);
    expect(result.data?._entities.map((product) => product?.id ?? null)).toEqual([ids[0], null, null, ids[1]]);
    const failures = result.errors?.map((error) => `${error.path.join('.')} ${error.extensions.code}`);
    expect(failures?.sort()).toEqual(['_entities.1 NOT_FOUND', '_entities.2 NOT_FOUND']);
    expect(statements).toHaveLength(1);
  });
});
