// The products subgraph whose PostgreSQL stops answering, cancels a statement, or goes down answers
// SERVICE_UNAVAILABLE (retry shortly) within its bounds instead of holding the request, and serves
// again once the server is back. The real server, behind a TCP relay that can hold or cut what passes.
import {
  createTestTokens,
  eventually,
  recordingLogger,
  relayTo,
  serveTestSubgraph,
  type TcpRelay,
  type TestSubgraph,
} from '@shop/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { productsSubgraph } from '../schema.js';
import { StockService } from '../stock/stock.service.js';
import { connectTestDb } from '../test-db.js';
import { createProductsDb, Prisma } from './product.model.js';
import { ProductService } from './product.service.js';

const STATEMENT_TIMEOUT_MS = 1_000;
/** The relayed connections' name in pg_stat_activity. */
const APPLICATION = `products-unavailable-${process.pid}`;
const POOL_WAIT_MS = 500;
const { db, category, cleanup } = connectTestDb();
const tokens = createTestTokens();
const { log, lines } = recordingLogger('error');
let relay: TcpRelay;
let relayed: ReturnType<typeof createProductsDb>;
let server: TestSubgraph;
let productId: string;

beforeAll(async () => {
  let url: URL;
  ({ relay, url } = await relayTo(
    process.env.TEST_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop_test',
    5432,
  ));
  url.searchParams.set('application_name', APPLICATION);
  relayed = createProductsDb(url.toString(), {
    DB_POOL_WAIT_TIMEOUT: POOL_WAIT_MS,
    DB_STATEMENT_TIMEOUT: STATEMENT_TIMEOUT_MS,
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

// A failed test leaves the server answering for the next.
afterEach(() => relay.resume());

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

const admin = { id: 'admin-1', role: 'ADMIN' as const };
const UPDATE = 'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Desk lamp" }) { name } }';

/** The relayed connections' sessions on the server in `condition`, counted over a direct connection. */
async function relayedSessions(condition: Prisma.Sql): Promise<number> {
  const [sessions] = await db.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) FROM pg_stat_activity WHERE application_name = ${APPLICATION} AND ${condition}`;
  return Number(sessions?.count);
}

/** Runs `work` while another connection (not through the relay) holds the product's row lock. */
async function withRowLocked(work: () => Promise<void>): Promise<void> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked = () => {};
  const lockTaken = new Promise<void>((resolve) => {
    locked = resolve;
  });
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
    await work();
  } finally {
    release();
    await holder;
  }
}

describe('the products subgraph when PostgreSQL does not answer', () => {
  it('answers SERVICE_UNAVAILABLE when PostgreSQL cancels a statement at DB_STATEMENT_TIMEOUT (a row lock held too long)', async () => {
    await withRowLocked(async () => {
      expectBusy(await server.query<Answer>(UPDATE, { id: productId }, admin));
    });
    // PostgreSQL stopped the statement itself (the client did not just give up on it).
    expect(JSON.stringify(lines.at(-1)?.err)).toContain('canceling statement due to statement timeout');
    expect((await read()).data?.product).toEqual({ name: 'Lamp' });
  });

  it('answers SERVICE_UNAVAILABLE for a transaction whose server goes silent after it began, and keeps no connection stuck', async () => {
    await withRowLocked(async () => {
      const update = server.query<Answer>(UPDATE, { id: productId }, admin);
      // The update waits for the row inside its transaction when the server goes silent.
      await eventually(
        async () => (await relayedSessions(Prisma.sql`wait_event_type = 'Lock'`)) > 0,
        10_000,
        'the update waits for the row',
      );
      relay.stall();
      expectBusy(await update);
    });
    // The client closed the silent connection (PostgreSQL's cancel at 1 s never came through).
    expect(JSON.stringify(lines.at(-1)?.err)).toContain('PostgreSQL sent nothing');
    relay.resume();
    expect(await eventually(async () => (await read()).data?.product, 15_000, 'answers again')).toEqual({
      name: 'Lamp',
    });
  });

  it('answers the requests in flight SERVICE_UNAVAILABLE once the server stays silent, and one queued for a connection after DB_POOL_WAIT_TIMEOUT', async () => {
    // The pool's 10 connections (pg-pool's default) opened, each held at once for a moment.
    const held = Promise.all(Array.from({ length: 10 }, () => relayed.db.$executeRaw`SELECT pg_sleep(0.5)`));
    await eventually(
      async () => (await relayedSessions(Prisma.sql`state = 'active'`)) === 10,
      10_000,
      'ten connections open',
    );
    await held;
    relay.stall();
    // One request more than there are connections: one waits for a connection from the pool.
    const answered: Answer[] = [];
    const reads = Array.from({ length: 11 }, () => read().then((answer) => answered.push(answer)));
    await eventually(() => answered.length > 0, 10_000, 'a first answer');
    // It gave up on the pool long before the silent connections were closed.
    expect(answered.length).toBe(1);
    await Promise.all(reads);
    for (const answer of answered) expectBusy(answer);
  });

  it('serves again once the server answers', async () => {
    relay.resume();
    const answer = await eventually(async () => (await read()).data?.product, 15_000, 'answers again');
    expect(answer).toEqual({ name: 'Lamp' });
  });

  it('answers SERVICE_UNAVAILABLE while the server is down', async () => {
    relay.refuse();
    expectBusy(await read());
    // A raw statement's error, as Prisma wraps it (P2010), says the same below its code.
    const raw = await relayed.db.$queryRaw`SELECT 1`.catch((error: unknown) => error);
    expect(relayed.unavailable(raw)).toBe(true);
    relay.resume();
    expect(await eventually(async () => (await read()).data?.product, 15_000, 'up again')).toEqual({ name: 'Lamp' });
  });
});
