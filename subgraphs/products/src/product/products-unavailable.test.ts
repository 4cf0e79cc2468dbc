// The products subgraph whose PostgreSQL stops answering, cancels a statement, or goes down answers
// SERVICE_UNAVAILABLE (retry shortly) within its bounds instead of holding the request, and serves
// again once the server is back. The real server, behind a TCP relay that can hold or cut what passes.
import {
  createTestTokens,
  eventually,
  recordingLogger,
  serveTestSubgraph,
  type TcpRelay,
  type TestSubgraph,
  tcpRelay,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productsSubgraph } from '../schema.js';
import { StockService } from '../stock/stock.service.js';
import { connectTestDb } from '../test-db.js';
import { createProductsDb } from './product.model.js';
import { ProductService } from './product.service.js';

const COMMAND_TIMEOUT_MS = 1_000;
const POOL_WAIT_MS = 500;
const { db, category, cleanup } = connectTestDb();
const tokens = createTestTokens();
const { log, lines } = recordingLogger('error');
let relay: TcpRelay;
let relayed: ReturnType<typeof createProductsDb>;
let server: TestSubgraph;
let productId: string;

beforeAll(async () => {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop_test');
  relay = await tcpRelay(Number(url.port || 5432), url.hostname);
  url.host = `127.0.0.1:${relay.port}`;
  relayed = createProductsDb(url.toString(), {
    DB_POOL_WAIT_TIMEOUT: POOL_WAIT_MS,
    DB_COMMAND_TIMEOUT: COMMAND_TIMEOUT_MS,
  });
  const services = { products: new ProductService(relayed.db), stock: new StockService(relayed.db) };
  server = await serveTestSubgraph(productsSubgraph, services, tokens, {
    log,
    databaseUnavailable: relayed.unavailable,
  });
  ({ id: productId } = await db.product.create({
    data: { name: 'Lamp', description: '', price: '10', category, inventory: 5 },
  }));
});

afterAll(async () => {
  relay?.resume();
  await server?.close();
  await relayed?.close();
  await relay?.close();
  await cleanup();
});

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions: Record<string, unknown> }[];
};
const PRODUCT = 'query ($id: ID!) { product(id: $id) { name } }';
const read = () => server.query<Answer>(PRODUCT, { id: productId });

const expectBusy = (answer: Answer) => {
  expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
  // The driver's words stay in the log.
  expect(answer.errors?.[0]?.message).not.toMatch(/connection|timeout|statement|postgres/i);
};

describe('the products subgraph when PostgreSQL does not answer', () => {
  it('answers SERVICE_UNAVAILABLE when PostgreSQL cancels a statement at DB_COMMAND_TIMEOUT (a row lock held too long)', async () => {
    const admin = { id: 'admin-1', role: 'ADMIN' as const };
    const UPDATE = 'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Desk lamp" }) { name } }';
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // Another connection holds the row's lock until the update has been answered.
    const holder = db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM products WHERE id = ${productId}::uuid FOR UPDATE`;
        locked();
        await held;
      },
      { timeout: 30_000 },
    );
    await lockTaken;
    try {
      expectBusy(await server.query<Answer>(UPDATE, { id: productId }, admin));
    } finally {
      release();
      await holder;
    }
    // PostgreSQL stopped the statement itself (the client did not just give up on it).
    expect(JSON.stringify(lines.at(-1)?.err)).toContain('canceling statement due to statement timeout');
    expect((await read()).data?.product).toEqual({ name: 'Lamp' });
  });

  it('answers a request in flight SERVICE_UNAVAILABLE once the server stays silent, and one needing a new connection after DB_POOL_WAIT_TIMEOUT', async () => {
    expect((await read()).data?.product).toEqual({ name: 'Lamp' });
    relay.stall();
    expectBusy(await read());
    // The silent connection was dropped: the next request waits for a new one, which never opens.
    expectBusy(await read());
  });

  it('serves again once the server answers', async () => {
    relay.resume();
    const answer = await eventually(async () => (await read()).data?.product, 20_000, 'answers again');
    expect(answer).toEqual({ name: 'Lamp' });
  });

  it('answers SERVICE_UNAVAILABLE while the server is down', async () => {
    relay.refuse();
    expectBusy(await read());
    relay.resume();
    expect(await eventually(async () => (await read()).data?.product, 20_000, 'up again')).toEqual({ name: 'Lamp' });
  });
});
