import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createTestTokens, eventually, freePort } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUnrevokedTokenVersions } from '../../gateway/src/gateway.test-fixture.js';
import { JWT_SECRET, PrivateRabbit, readiness, ServiceProcess } from './private-services.js';

/** onShutdown's bound (SHUTDOWN_TIMEOUT_MS): past it the process exits 1. */
const SHUTDOWN_BOUND_MS = 10_000;
const PRODUCTS_DELAY_MS = 1_500;

const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const prefix = `ops_shutdown_${process.pid}`;
const rabbit = new PrivateRabbit();
let orders: ServiceProcess;
let ordersPort: number;
let reservations = 0;

// A slow products subgraph: each stock reservation is answered after PRODUCTS_DELAY_MS, which keeps
// the orders request that made it in flight while the test sends SIGTERM. The confirmation that
// follows the order's insert is answered at once.
const products: Server = createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk) => {
    raw += chunk;
  });
  req.on('end', () => {
    const { query, variables } = JSON.parse(raw) as {
      query: string;
      variables: { items: { productId: string; quantity: number }[] };
    };
    res.setHeader('content-type', 'application/json');
    if (query.includes('confirmStock')) return res.end(JSON.stringify({ data: { confirmStock: true } }));
    reservations++;
    setTimeout(() => {
      res.end(
        JSON.stringify({ data: { reserveStock: variables.items.map((item) => ({ ...item, unitPrice: '10.00' })) } }),
      );
    }, PRODUCTS_DELAY_MS);
  });
});

/** Answers the revocation check of the customer's direct call to the orders port: nothing revoked. */
let users: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  users = await startUnrevokedTokenVersions();
  await rabbit.init();
  const productsPort = await freePort();
  await new Promise<void>((done) => products.listen(productsPort, '127.0.0.1', done));
  ordersPort = await freePort();
  orders = new ServiceProcess('subgraphs/orders', {
    JWT_SECRET,
    ORDERS_PORT: String(ordersPort),
    MONGO_URL,
    MONGO_DB_PREFIX: prefix,
    AMQP_URL: rabbit.url,
    AMQP_EXCHANGE: 'ops.events',
    PRODUCTS_URL: `http://127.0.0.1:${productsPort}/graphql`,
    USERS_URL: users.url,
  });
  await eventually(async () => (await readiness(ordersPort)).status === 200, 60_000, 'orders ready');
}, 120_000);
afterAll(async () => {
  await users?.close();
  await orders?.stop();
  await new Promise((done) => products.close(done));
  await rabbit.destroy();
  const connection = await mongoose.createConnection(MONGO_URL, { dbName: `${prefix}_orders` }).asPromise();
  await connection.dropDatabase();
  await connection.close();
}, 60_000);

describe('SIGTERM', () => {
  it('stops accepting, finishes the in-flight request, and exits 0 within the bound', async () => {
    const tokens = createTestTokens();
    const token = await tokens.sign({ id: randomUUID(), role: 'CUSTOMER' });
    const inFlight = fetch(`http://127.0.0.1:${ordersPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { createOrder(input: {
          items: [{ productId: "${randomUUID()}", quantity: 2 }],
          shippingAddress: { street: "1 Main St", city: "Springfield", state: "IL", zipCode: "62701", country: "US" }
        }) { id status totalAmount } }`,
      }),
    });
    await eventually(async () => reservations > 0, 10_000, 'the order request reached products');

    const signalled = Date.now();
    orders.child.kill('SIGTERM');
    // Stops accepting: a new connection is refused while the old request is still running.
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${ordersPort}/health/live`).then(
          () => false,
          () => true,
        ),
      1_000,
      'new connections refused',
    );
    expect(orders.child.exitCode).toBeNull();

    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { createOrder: { status: string; totalAmount: string } } };
    expect(body.data?.createOrder).toMatchObject({ status: 'PENDING', totalAmount: '20.00' });

    await orders.exited();
    const took = Date.now() - signalled;
    expect(orders.child.exitCode).toBe(0);
    expect(took).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(took).toBeGreaterThanOrEqual(PRODUCTS_DELAY_MS - 500);
    expect(orders.logs()).toContain('"msg":"stopped"');
    console.info(`orders: exited 0 ${took} ms after SIGTERM, with a ${PRODUCTS_DELAY_MS} ms request in flight`);
  });
});
