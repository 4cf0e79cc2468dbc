import { randomUUID } from 'node:crypto';
import { createTestTokens, serveTestSubgraph, type TestSubgraph } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductService } from './product/product.service.js';
import { productsSubgraph } from './schema.js';
import { statementsOf } from './sql-statements.test-fixture.js';
import { StockService } from './stock/stock.service.js';
import { connectTestDb, TEST_DATABASE_URL } from './test-db.js';

const { db, category, cleanup } = connectTestDb();
const tokens = createTestTokens();
let server: TestSubgraph;
let url: string;
const auth: Record<string, string> = {};

beforeAll(async () => {
  server = await serveTestSubgraph(
    productsSubgraph,
    { products: new ProductService(db), stock: new StockService(db) },
    tokens,
  );
  url = server.url;
  auth.admin = `Bearer ${await tokens.sign({ id: 'admin-1', role: 'ADMIN' })}`;
  auth.customer = `Bearer ${await tokens.sign({ id: 'customer-1', role: 'CUSTOMER' })}`;
  auth.service = await tokens.serviceAuthorization('orders');
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

interface GraphqlResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions: Record<string, unknown> }[];
}

function post(query: string, variables: Record<string, unknown> = {}, authorization?: string) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
}
async function graphql(query: string, variables: Record<string, unknown> = {}, authorization?: string) {
  return (await (await post(query, variables, authorization)).json()) as GraphqlResult;
}
const codes = (result: GraphqlResult) => result.errors?.map((error) => error.extensions.code);

const CREATE = `mutation ($input: CreateProductInput!) {
  createProduct(input: $input) { id name price inventory images createdAt }
}`;
const input = { name: 'Kettle', price: '24.5', category, inventory: 3 };

describe('products subgraph over HTTP', () => {
  it('lets an admin create a product, and refuses customers and anonymous callers', async () => {
    expect(codes(await graphql(CREATE, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await graphql(CREATE, { input }, auth.customer))).toEqual(['FORBIDDEN']);
    const created = await graphql(CREATE, { input }, auth.admin);
    expect(created.data?.createProduct).toMatchObject({ name: 'Kettle', price: '24.50', inventory: 3, images: [] });
  });

  it('reports invalid input as BAD_USER_INPUT with fields, and unknown ids as NOT_FOUND', async () => {
    const invalid = await graphql(
      CREATE,
      { input: { ...input, name: '', images: ['file:///etc/passwd'] } },
      auth.admin,
    );
    expect(invalid.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [expect.objectContaining({ field: 'name' }), expect.objectContaining({ field: 'images.0' })],
    });
    const badPrice = await graphql(CREATE, { input: { ...input, price: 'free' } }, auth.admin);
    expect(codes(badPrice)).toEqual(['BAD_USER_INPUT']);
    const missing = await graphql('query { product(id: "not-a-uuid") { id } }');
    expect(missing).toMatchObject({ data: { product: null } });
    expect(codes(missing)).toEqual(['NOT_FOUND']);
  });

  it('serves the catalogue and Product references to anyone', async () => {
    const list = await graphql(
      `query ($filter: ProductFilter) {
        products(filter: $filter, first: 1) { totalCount edges { cursor node { id price } } pageInfo { hasNextPage } }
      }`,
      { filter: { category, minPrice: '24.50' } },
    );
    const connection = list.data?.products as { totalCount: number; edges: { node: { id: string } }[] };
    expect(connection).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false } });
    const id = connection.edges[0]?.node.id;
    const entities = await graphql(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name } } }`,
      { representations: [{ __typename: 'Product', id }] },
    );
    expect(entities.data?._entities).toEqual([{ id, name: 'Kettle' }]);
  });

  it('takes limit/offset paging as first + offset, and a search term', async () => {
    const page = `query ($filter: ProductFilter, $offset: Int) {
      products(filter: $filter, first: 1, offset: $offset) { totalCount edges { node { name } } }
    }`;
    const found = await graphql(page, { filter: { category, search: 'KETT' }, offset: 0 });
    expect(found.data?.products).toEqual({ totalCount: 1, edges: [{ node: { name: 'Kettle' } }] });
    const past = await graphql(page, { filter: { category }, offset: 1 });
    expect(past.data?.products).toEqual({ totalCount: 1, edges: [] });
    expect(codes(await graphql(page, { offset: -1 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('counts the catalogue only for a client that selects totalCount, once for its aliases', async () => {
    /** The COUNT statements the products subgraph sends to answer `query`. */
    const countsFor = async (query: string) => {
      const statements = await statementsOf(TEST_DATABASE_URL, async (counted) => {
        const served = await serveTestSubgraph(
          productsSubgraph,
          { products: new ProductService(counted), stock: new StockService(counted) },
          tokens,
        );
        try {
          const response = await fetch(served.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query, variables: { filter: { category } } }),
          });
          expect(((await response.json()) as GraphqlResult).errors).toBeUndefined();
        } finally {
          await served.close();
        }
      });
      return statements.filter((statement) => /\bCOUNT\(/i.test(statement.query)).length;
    };
    const list = 'query ($filter: ProductFilter) { products(filter: $filter, first: 1) { edges { node { id } } } }';
    expect(await countsFor(list)).toBe(0);
    const counted = 'query ($filter: ProductFilter) { products(filter: $filter) { a: totalCount b: totalCount } }';
    expect(await countsFor(counted)).toBe(1);
  });

  it('keeps reserveStock and releaseStock for the SERVICE role', async () => {
    const created = await graphql(CREATE, { input: { ...input, inventory: 2 } }, auth.admin);
    const productId = (created.data as { createProduct: { id: string } }).createProduct.id;
    const reserve = `mutation ($orderId: ID!, $items: [StockItemInput!]!) {
      reserveStock(orderId: $orderId, items: $items) { productId quantity unitPrice }
    }`;
    const release = 'mutation ($orderId: ID!) { releaseStock(orderId: $orderId) }';
    const [orderId, otherOrderId] = [randomUUID(), randomUUID()];
    const variables = { orderId, items: [{ productId, quantity: 2 }] };
    expect(codes(await graphql(reserve, variables, auth.customer))).toEqual(['FORBIDDEN']);
    expect(codes(await graphql(reserve, variables, auth.admin))).toEqual(['FORBIDDEN']);
    expect(codes(await graphql(release, variables, auth.customer))).toEqual(['FORBIDDEN']);
    const reserved = await graphql(reserve, variables, auth.service);
    expect(reserved.data?.reserveStock).toEqual([{ productId, quantity: 2, unitPrice: '24.50' }]);
    const again = await graphql(reserve, { orderId: otherOrderId, items: variables.items }, auth.service);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_STOCK', productId });
    expect((await graphql(release, { orderId }, auth.service)).data).toEqual({ releaseStock: true });
    const product = await graphql('query ($id: ID!) { product(id: $id) { inventory } }', { id: productId });
    expect(product.data).toEqual({ product: { inventory: 2 } });
  });
});

describe('cache hints', () => {
  const cacheControl = async (query: string, variables: Record<string, unknown> = {}, authorization?: string) => {
    const response = await post(query, variables, authorization);
    const body = (await response.json()) as GraphqlResult;
    expect(body.errors).toBeUndefined();
    return response.headers.get('cache-control');
  };

  it('answers catalogue reads as public for 60 s, and for 10 s once they include stock', async () => {
    const created = await graphql(CREATE, { input }, auth.admin);
    const id = (created.data as { createProduct: { id: string } }).createProduct.id;
    const product = 'query ($id: ID!) { product(id: $id) { id name price images } }';
    expect(await cacheControl(product, { id })).toBe('max-age=60, public');
    // A signed-in caller reads the same public data.
    expect(await cacheControl(product, { id }, auth.customer)).toBe('max-age=60, public');
    const list = `query ($filter: ProductFilter) {
      products(filter: $filter, first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } }
    }`;
    expect(await cacheControl(list, { filter: { category, search: 'kettle' } })).toBe('max-age=60, public');
    const withStock = 'query ($id: ID!) { product(id: $id) { name inventory } }';
    expect(await cacheControl(withStock, { id })).toBe('max-age=10, public');
    const listWithStock =
      'query ($filter: ProductFilter) { products(filter: $filter) { edges { node { inventory } } } }';
    expect(await cacheControl(listWithStock, { filter: { category } })).toBe('max-age=10, public');
    const references = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name } } }`;
    // References carry the entity's hint: a query that reaches products through another subgraph is
    // limited by that subgraph's answer too.
    expect(await cacheControl(references, { representations: [{ __typename: 'Product', id }] })).toBe(
      'max-age=60, public',
    );
  });

  it('never marks writes or errors cacheable', async () => {
    const create = await post(CREATE, { input }, auth.admin);
    expect(create.headers.get('cache-control')).toBe('no-store');
    const missing = await post('query { product(id: "not-a-uuid") { id } }');
    expect(missing.headers.get('cache-control')).toBe('no-store');
  });
});
