// Fault test: the orders process is killed (SIGKILL) after products reserved stock for an order and
// before the order was stored. Nothing will ever confirm or release that reservation: products must
// give the units back by itself once the reservation is older than STOCK_RESERVATION_TTL.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { createTestTokens, eventually, freePort, metricValue, TEST_AMQP_URL } from '@shop/platform/testing';
import mongoose, { type Connection } from 'mongoose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUnrevokedTokenVersions } from '../../gateway/src/gateway.test-fixture.js';
import { JWT_SECRET, PrivatePostgres, ROOT, readiness, ServiceProcess } from './private-services.js';

const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const prefix = `ops_reservecrash_${process.pid}`;
const TTL = '3s';
const tokens = createTestTokens();
const ada = { id: 'user-ada', role: 'CUSTOMER' as const };
const address = { street: '1 Main St', city: 'Springfield', state: 'IL', zipCode: '62701', country: 'US' };

const postgres = new PrivatePostgres();
let sql: pg.Client;
let mongo: Connection;
let products: ServiceProcess;
let orders: ServiceProcess | undefined;
let productsPort: number;
/** Answers the revocation check of the customer's direct calls to the orders port: nothing revoked. */
let users: { url: string; close: () => Promise<void> };
let ordersPort: number;

/**
 * Between orders and products: passes every call on, except the one a test holds. A held call is
 * answered by products (so its effect is committed) or not passed on at all (`forward: false`);
 * either way no answer reaches orders.
 */
let holding: { operation: string; forward: boolean; seen: (body: string) => void } | undefined;
let proxy: Server;
const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const startOrders = (label: string) =>
  new ServiceProcess(
    'subgraphs/orders',
    {
      JWT_SECRET,
      ORDERS_PORT: String(ordersPort),
      MONGO_URL,
      MONGO_DB_PREFIX: prefix,
      AMQP_URL: TEST_AMQP_URL,
      AMQP_EXCHANGE: 'ops-reservations.events',
      PRODUCTS_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`,
      ORDER_EXPIRY_INTERVAL: '1s',
      USERS_URL: users.url,
    },
    label,
  );

beforeAll(async () => {
  users = await startUnrevokedTokenVersions();
  await postgres.init();
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: postgres.url },
  });
  sql = new pg.Client({ connectionString: postgres.url });
  await sql.connect();
  mongo = await mongoose.createConnection(MONGO_URL, { dbName: `${prefix}_orders` }).asPromise();
  // The proxy listens before the services' ports are picked: a port freePort has let go of is
  // free for any listen(0), and the proxy once took orders' port (ci106).
  proxy = createServer(async (req, res) => {
    const body = await readBody(req);
    const held = holding && body.includes(holding.operation) ? holding : undefined;
    if (held && !held.forward) return held.seen(body);
    const answer = await fetch(`http://127.0.0.1:${productsPort}${req.url}`, {
      method: req.method,
      headers: {
        'content-type': 'application/json',
        authorization: req.headers.authorization ?? '',
        'x-request-timeout-ms': String(req.headers['x-request-timeout-ms'] ?? ''),
      },
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const text = await answer.text();
    if (held) return held.seen(text); // products answered; orders never hears it
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  [productsPort, ordersPort] = [await freePort(), await freePort()];
  products = new ServiceProcess('subgraphs/products', {
    JWT_SECRET,
    PRODUCTS_PORT: String(productsPort),
    DATABASE_URL: postgres.url,
    AMQP_URL: TEST_AMQP_URL,
    AMQP_EXCHANGE: 'ops-reservations.events',
    STOCK_RESERVATION_TTL: TTL,
    STOCK_RESERVATION_SWEEP_INTERVAL: '1s',
  });
  await eventually(async () => (await readiness(productsPort)).status === 200, 60_000, 'products ready');
}, 120_000);
afterAll(async () => {
  await users?.close();
  await orders?.stop();
  await products?.stop();
  proxy.closeAllConnections();
  await new Promise((done) => proxy.close(done));
  await sql?.end();
  await mongo?.dropDatabase();
  await mongo?.close();
  await postgres.destroy();
}, 60_000);

const inventoryOf = async (id: string) =>
  (await sql.query<{ inventory: number }>('SELECT inventory FROM products WHERE id = $1', [id])).rows[0]?.inventory;

async function createProduct(inventory: number): Promise<string> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO products (name, description, price, category, inventory, updated_at)
     VALUES ('Lamp', '', 25.00, 'ops', $1, now()) RETURNING id`,
    [inventory],
  );
  return rows[0]?.id ?? '';
}

async function placeOrder(productId: string, quantity: number): Promise<Response> {
  return fetch(`http://127.0.0.1:${ordersPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokens.sign(ada)}` },
    body: JSON.stringify({
      query: 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id status } }',
      variables: { input: { items: [{ productId, quantity }], shippingAddress: address } },
    }),
  });
}

/** Starts orders, holds the products call named `operation`, and kills orders once it was held. */
async function crashOrdersDuring(operation: string, forward: boolean, productId: string, quantity: number) {
  orders = startOrders(`reserve-crash-${operation}`);
  await eventually(async () => (await readiness(ordersPort)).status === 200, 60_000, 'orders ready');
  const answered = new Promise<string>((seen) => {
    holding = { operation, forward, seen };
  });
  const request = placeOrder(productId, quantity).catch(() => undefined); // orders dies under it
  const answer = await answered;
  orders.child.kill('SIGKILL');
  await orders.exited();
  holding = undefined;
  await request;
  return answer;
}

describe('orders killed between reserving stock and storing the order', () => {
  it('gets the reserved units back once the reservation outlives STOCK_RESERVATION_TTL', async () => {
    const lamp = await createProduct(5);
    const answer = await crashOrdersDuring('reserveStock', true, lamp, 2);
    expect(JSON.parse(answer)).toMatchObject({ data: { reserveStock: [{ productId: lamp, quantity: 2 }] } });
    // What the crash left behind: units held for an order that does not exist.
    expect(await inventoryOf(lamp)).toBe(3);
    const [held] = (await sql.query<{ order_id: string }>('SELECT order_id FROM stock_reservations')).rows;
    if (!held) throw new Error('no reservation recorded');
    expect(await mongo.collection('orders').countDocuments({})).toBe(0);

    // Nothing confirms the reservation: products gives the units back after the TTL (3 s here).
    const killed = Date.now();
    await eventually(async () => (await inventoryOf(lamp)) === 5, 30_000, 'the reserved units back in stock');
    console.info(`reservation of a killed order released ${Date.now() - killed} ms after the kill (TTL ${TTL})`);
    const release = await sql.query('SELECT reason FROM stock_releases WHERE order_id = $1', [held.order_id]);
    expect(release.rows).toEqual([{ reason: 'expired' }]);
    const scrape = await (await fetch(`http://127.0.0.1:${productsPort}/metrics`)).text();
    expect(metricValue(scrape, 'stock_reservations_expired_total')).toBe(1);
  }, 120_000);

  it('cancels an order stored just before the crash whose reservation expired meanwhile', async () => {
    const lamp = await createProduct(5);
    // Killed after the order was stored, before its confirmation reached products.
    await crashOrdersDuring('confirmStock', false, lamp, 1);
    const stored = await mongo.collection('orders').findOne({ 'items.productId': lamp });
    expect(stored).toMatchObject({ status: 'PENDING', stockConfirmed: false });
    await eventually(async () => (await inventoryOf(lamp)) === 5, 30_000, 'the unconfirmed reservation expired');

    // Back, orders finds the unconfirmed order, products refuses its confirmation: the order is
    // cancelled (with its order.updated) rather than kept without stock.
    orders = startOrders('reserve-crash-restart');
    const cancelled = await eventually(
      async () => (await mongo.collection('orders').findOne({ _id: stored?._id, status: 'CANCELLED' })) ?? undefined,
      60_000,
      'the order cancelled by the sweep of the restarted orders',
    );
    // The event was recorded with the change (in the transition's claim), and the relay, which
    // publishes right after the write, then takes it out of the order's outbox.
    const claim = await mongo
      .collection('order_transitions')
      .findOne({ orderId: cancelled._id, 'to.status': 'CANCELLED' });
    expect(claim?.event).toMatchObject({ type: 'order.updated', data: { status: 'CANCELLED' } });
    await eventually(
      async () =>
        ((await mongo.collection('orders').findOne({ _id: cancelled._id }))?.pendingEvents ?? [1]).length === 0,
      30_000,
      'the cancellation published',
    );
    expect(await inventoryOf(lamp)).toBe(5);
    await orders.stop();
  }, 120_000);
});

describe("a reservation orders gave up on (products' row held past the call's 5 s)", () => {
  it('answers SERVICE_UNAVAILABLE; products stops waiting for the row then, and nothing stays reserved', async () => {
    const lamp = await createProduct(5);
    orders = startOrders('gave-up');
    await eventually(async () => (await readiness(ordersPort)).status === 200, 60_000, 'orders ready');
    // Another transaction holds the product's row (an admin's long write, say) for longer than orders waits.
    const holder = new pg.Client({ connectionString: postgres.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM products WHERE id = $1 FOR UPDATE', [lamp]);
    const waitingOnHolder = async () => {
      const { rows } = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [(await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid],
      );
      return rows[0]?.n ?? 0;
    };
    try {
      const answer = (await (await placeOrder(lamp, 1)).json()) as { errors?: { extensions?: object }[] };
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
      // Products' reservation was queued behind the row; it gives up with its caller (the deadline
      // orders sent), not at its own 10–15 s limits, while the row is still held.
      await eventually(async () => (await waitingOnHolder()) === 0, 5_000, 'no reservation left waiting for the row');
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await inventoryOf(lamp)).toBe(5);
    const held = await sql.query('SELECT 1 FROM stock_reservations WHERE product_id = $1 AND released_at IS NULL', [
      lamp,
    ]);
    expect(held.rowCount).toBe(0);
    expect(await mongo.collection('orders').countDocuments({ 'items.productId': lamp })).toBe(0);
    await orders.stop();
  }, 120_000);
});
