// Cross-service: the gateway's public entry in front of subgraphs built from their own modules, in
// this process. It spans packages, so it lives here rather than inside the gateway's sources.
import { randomUUID } from 'node:crypto';
import { EventBus, type EventEnvelope, productChanged } from '@shop/events';
import type { RequestContext } from '@shop/platform/subgraph';
import {
  TEST_AMQP_URL as AMQP_URL,
  connectTestMongo,
  createTestTokens,
  eventually,
  serveTestSubgraph,
  silentLogger,
  type TestSubgraph,
  testContext,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestGateway } from '../../gateway/src/gateway.test-fixture.js';
import type { Gateway } from '../../gateway/src/index.js';
import { PostgresOutboxRelay } from '../../subgraphs/products/src/outbox/outbox.relay.js';
import { createProductsDb } from '../../subgraphs/products/src/product/product.model.js';
import { ProductService } from '../../subgraphs/products/src/product/product.service.js';
// The real products and users subgraphs, in-process, on the real PostgreSQL, FerretDB and RabbitMQ.
import { productsSubgraph } from '../../subgraphs/products/src/schema.js';
import { StockService } from '../../subgraphs/products/src/stock/stock.service.js';
import { createPrivateTestDb } from '../../subgraphs/products/src/test-db.js';
import { createUsersServices } from '../../subgraphs/users/src/create-services.js';
import { usersSubgraph } from '../../subgraphs/users/src/schema.js';
import { ensureAdmin } from '../../subgraphs/users/src/user/admin-bootstrap.js';
import { composeSupergraph } from './in-process.fixture.js';

const tokens = createTestTokens();

/** Counts the catalogue reads the products subgraph makes: one per products-subgraph fetch of these tests. */
class CountingProductService extends ProductService {
  reads = 0;
  override findMany(ctx: RequestContext, ids: readonly string[]) {
    this.reads++;
    return super.findMany(ctx, ids);
  }
  override list(ctx: RequestContext, args: Parameters<ProductService['list']>[1]) {
    this.reads++;
    return super.list(ctx, args);
  }
}

const category = `test-${randomUUID()}`;
// An exchange of this file's own: other test files' catalogue changes would empty the caches.
const EXCHANGE = `test.response-cache.${randomUUID().slice(0, 8)}`;
const bus = new EventBus({ url: AMQP_URL, exchange: EXCHANGE, log: silentLogger, connectionName: 'cache-test' });
// A database of this file's own (created in beforeAll): in the shared one, another relay (the e2e
// stack's products) may publish this file's product.changed to its own exchange, and the replicas
// here would never hear of the change (ci111); this file's relay would publish others' changes here.
let database: { url: string; drop: () => Promise<void> };
let closeDb: () => Promise<void>;
let relay: PostgresOutboxRelay;
let products: CountingProductService;
let stock: StockService;
/** Every product.changed on the exchange, as the gateways hear it. */
const changes: EventEnvelope[] = [];
let mongo: { drop: () => Promise<void> };
const servers: TestSubgraph[] = [];
const gateways: Gateway[] = [];
const bases: string[] = [];
let supergraph: Awaited<ReturnType<typeof composeSupergraph>> | undefined;
let admin: string;
let customer: string;
let productId: string;

beforeAll(async () => {
  database = await createPrivateTestDb();
  const { db, close } = createProductsDb(database.url);
  closeDb = close;
  relay = new PostgresOutboxRelay(db, bus, silentLogger);
  products = new CountingProductService(db, relay);
  stock = new StockService(db, relay);
  mongo = await connectTestMongo('response_cache');
  const usersServices = createUsersServices(tokens);
  const users = await serveTestSubgraph(usersSubgraph, usersServices, tokens);
  const productsServer = await serveTestSubgraph(productsSubgraph, { products, stock }, tokens);
  servers.push(users, productsServer);
  supergraph = await composeSupergraph([users, productsServer]);
  // Two replicas, each with its own cache and its own queue of invalidations.
  await bus.subscribe({
    queue: 'cache-test.observer',
    events: [productChanged],
    exclusive: true,
    handler: async (event) => {
      changes.push(event);
    },
  });
  for (let replica = 0; replica < 2; replica++) {
    const { gateway, base } = await startTestGateway({ SUPERGRAPH_PATH: supergraph.path, AMQP_EXCHANGE: EXCHANGE });
    gateways.push(gateway);
    bases.push(base);
  }
  relay.start();
  // Real accounts: the gateway refuses tokens of accounts the users subgraph does not know.
  await ensureAdmin('cache-admin@example.com', 'correct horse battery');
  const adminAccount = await usersServices.users.findCredentials('cache-admin@example.com');
  admin = `Bearer ${await tokens.sign({ id: adminAccount?.user.id ?? '', role: 'ADMIN', tokenVersion: 0 })}`;
  const customerAccount = await usersServices.users.createCustomer({
    email: 'cache-customer@example.com',
    password: 'correct horse battery',
    firstName: 'C',
    lastName: 'C',
    phone: undefined,
  });
  customer = `Bearer ${await tokens.sign({ id: customerAccount.user.id, role: 'CUSTOMER', tokenVersion: 0 })}`;
  const created = await graphql(
    0,
    CREATE,
    { input: { name: 'Teapot', price: '20.00', category, inventory: 3 } },
    admin,
  );
  productId = created.body.data.createProduct.id;
});

afterAll(async () => {
  await relay?.stop();
  for (const gateway of gateways) await gateway.close();
  for (const server of servers) await server.close();
  await bus.close();
  await mongo?.drop();
  await closeDb?.();
  await database?.drop();
  await supergraph?.remove();
});

const CREATE = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const PRODUCT = 'query ($id: ID!) { product(id: $id) { id name price } }';
const LIST = `query ($filter: ProductFilter) {
  products(filter: $filter, first: 5) { totalCount edges { node { id name price inventory } } }
}`;

async function graphql(replica: number, query: string, variables: Record<string, unknown>, authorization?: string) {
  const response = await fetch(`${bases[replica]}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
  const body: any = await response.json();
  expect(body.errors).toBeUndefined();
  return { body, headers: response.headers };
}

/** The products-subgraph reads that running `action` caused. */
async function readsDuring(action: () => Promise<unknown>): Promise<number> {
  const before = products.reads;
  await action();
  return products.reads - before;
}

/**
 * Runs `request` twice and returns both answers and the reads the second one caused: 0 when it was
 * answered from the cache. A change this file made just before (its event still on the way) empties
 * the caches; so a pair spoilt by one is tried again (never 0 without a cache).
 */
async function twice<T>(request: () => Promise<T>): Promise<{ first: T; second: T; reads: number }> {
  for (let attempt = 1; ; attempt++) {
    const first = await request();
    let second: T | undefined;
    const reads = await readsDuring(async () => {
      second = await request();
    });
    if (reads === 0 || attempt === 10) return { first, second: second as T, reads };
    // Changes come in bursts (a reservation and its release): try again after them.
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}

describe('gateway response cache', () => {
  it('answers a public catalogue query from the cache the second time, with Age and Cache-Control', async () => {
    const variables = { filter: { category, search: 'teapot' } };
    const cold = await graphql(0, LIST, variables);
    expect(cold.headers.get('cache-control')).toBe('max-age=10, public');
    expect(cold.headers.get('age')).toBeNull();
    const { first, second, reads } = await twice(() => graphql(0, LIST, variables));
    expect(reads).toBe(0);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('age')).toMatch(/^\d+$/);
    expect(second.headers.get('cache-control')).toBe('max-age=10, public');
    // Other variables are another entry; the other replica has its own cache.
    expect(await readsDuring(() => graphql(0, LIST, { filter: { category, search: 'tea' } }))).toBe(1);
    expect(await readsDuring(() => graphql(1, LIST, variables))).toBe(1);
  });

  it('shares public answers between callers, signed in or not', async () => {
    let anonymous = false;
    // Anonymous first, then signed in: the second is answered from the first one's entry.
    const { reads } = await twice(() => {
      anonymous = !anonymous;
      return graphql(0, PRODUCT, { id: productId }, anonymous ? undefined : customer);
    });
    expect(reads).toBe(0);
  });

  it('never caches an answer that includes private data', async () => {
    const registered = await graphql(0, 'mutation ($input: RegisterInput!) { register(input: $input) { token } }', {
      input: { email: 'cache@example.com', password: 'correct horse battery', firstName: 'C', lastName: 'D' },
    });
    const customer = `Bearer ${registered.body.data.register.token}`;
    const query = 'query ($filter: ProductFilter) { me { email } products(filter: $filter) { totalCount } }';
    const variables = { filter: { category } };
    const first = await graphql(0, query, variables, customer);
    expect(first.body.data.me).toEqual({ email: 'cache@example.com' });
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await readsDuring(() => graphql(0, query, variables, customer))).toBe(1);
  });

  it('serves the REST catalogue shim from the same cache', async () => {
    const list = async () =>
      (await (await fetch(`${bases[0]}/api/products?category=${category}&limit=3`)).json()) as {
        products: { id: string }[];
      };
    const { first, second, reads } = await twice(list);
    expect(first.products.map((product) => product.id)).toContain(productId);
    expect(reads).toBe(0);
    expect(second).toEqual(first);
  });

  it('keeps its answers through stock moves; what shows stock (inventory, inStock) is kept 10 s at most', async () => {
    const read = () => graphql(0, PRODUCT, { id: productId });
    expect((await twice(read)).reads).toBe(0);
    const NAMES =
      'query ($filter: ProductFilter) { products(filter: $filter, first: 5) { edges { node { id name } } } }';
    expect((await graphql(0, NAMES, { filter: { category } })).headers.get('cache-control')).toBe('max-age=60, public');
    const inStock = await graphql(0, NAMES, { filter: { category, inStock: true } });
    expect(inStock.headers.get('cache-control')).toBe('max-age=10, public');

    // An order's reservation: product.changed (stock) reaches the replicas as it reaches this observer.
    const orderId = randomUUID();
    await stock.reserve(testContext({ id: 'service:orders', role: 'SERVICE' }, {}), orderId, [
      { productId, quantity: 1 },
    ]);
    await vi.waitFor(() => expect(changes.map((event) => event.data)).toContainEqual({ productId, change: 'stock' }), {
      timeout: 10_000,
    });
    expect(await readsDuring(read)).toBe(0);
    await stock.release(testContext({ id: 'service:orders', role: 'SERVICE' }, {}), orderId);
  });

  it('answers fresh on every replica once a product was updated through the API', async () => {
    const read = (replica: number) => graphql(replica, PRODUCT, { id: productId });
    for (const replica of [0, 1]) expect((await twice(() => read(replica))).reads).toBe(0);
    await graphql(
      0,
      'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { price } }',
      { id: productId, input: { price: '25.00' } },
      admin,
    );
    // The change reaches each replica through the outbox relay and RabbitMQ.
    for (const replica of [0, 1]) {
      await eventually(async () => (await read(replica)).body.data.product.price === '25.00');
    }
    // And is cached again from then on.
    expect((await twice(() => read(0))).reads).toBe(0);
  });
});
