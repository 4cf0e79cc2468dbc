import { eventually, freePort, metricValue } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropStackDatabases } from '../../scripts/stack.js';
import { JWT_SECRET, PrivatePostgres, PrivateRabbit, readiness, ServiceProcess } from './private-services.js';

// Readiness is polled every 100 ms: a dependency's loss must show within this, and its return too.
const FLIP_MS = 5_000;
const RECOVER_MS = 20_000;

const postgres = new PrivatePostgres();
const rabbit = new PrivateRabbit();
let products: ServiceProcess;
let orders: ServiceProcess;
let productsPort: number;
let ordersPort: number;
const ordersMongo = {
  MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  MONGO_DB_PREFIX: `ops_${process.pid}`,
};

beforeAll(async () => {
  await Promise.all([postgres.init(), rabbit.init()]);
  [productsPort, ordersPort] = [await freePort(), await freePort()];
  products = new ServiceProcess('subgraphs/products', {
    JWT_SECRET,
    PRODUCTS_PORT: String(productsPort),
    DATABASE_URL: postgres.url,
  });
  orders = new ServiceProcess('subgraphs/orders', {
    JWT_SECRET,
    ORDERS_PORT: String(ordersPort),
    ...ordersMongo,
    AMQP_URL: rabbit.url,
    AMQP_EXCHANGE: 'ops.events',
    PRODUCTS_URL: `http://127.0.0.1:${productsPort}/graphql`,
  });
  await eventually(async () => (await readiness(productsPort)).status === 200, 60_000, 'products ready');
  await eventually(async () => (await readiness(ordersPort)).status === 200, 60_000, 'orders ready');
}, 120_000);
afterAll(async () => {
  await Promise.all([products?.stop(), orders?.stop()]);
  await Promise.all([postgres.destroy(), rabbit.destroy(), dropStackDatabases(ordersMongo)]);
}, 60_000);

/** Polls until /health/ready answers `status` and returns the answer and how long it took. */
async function flipsTo(port: number, status: number, timeoutMs: number) {
  const started = Date.now();
  const answer = await eventually(
    async () => {
      const result = await readiness(port);
      return result.status === status && result;
    },
    timeoutMs,
    `readiness ${status} on ${port}`,
  );
  return { ...answer, ms: Date.now() - started };
}

/** Polls until /health/ready reports the broker `status` and returns the answer and how long it took. */
async function reportsBroker(port: number, status: 'up' | 'down', timeoutMs: number) {
  const started = Date.now();
  const answer = await eventually(
    async () => {
      const result = await readiness(port);
      return result.body.checks.rabbitmq?.status === status && result;
    },
    timeoutMs,
    `rabbitmq ${status} on ${port}`,
  );
  return { ...answer, ms: Date.now() - started };
}

describe('/health/ready follows its dependencies', () => {
  it('products: 503 within seconds of PostgreSQL going away, 200 once it is back', async () => {
    await postgres.stop();
    const down = await flipsTo(productsPort, 503, FLIP_MS);
    expect(down.body.checks.postgresql?.status).toBe('down');
    // Liveness is not readiness: the process itself is fine and must not be restarted.
    expect((await fetch(`http://127.0.0.1:${productsPort}/health/live`)).status).toBe(200);

    await postgres.start();
    const up = await flipsTo(productsPort, 200, RECOVER_MS);
    expect(up.body.checks.postgresql?.status).toBe('up');
    console.info(`products readiness: down after ${down.ms} ms, up ${up.ms} ms after PostgreSQL returned`);
  }, 60_000);

  it('orders: stays ready without RabbitMQ, reporting it down (degraded) and in events_broker_connected', async () => {
    // Its API works without the broker (the outbox keeps what is written): a readiness that
    // followed the broker would take every replica out of the load balancer during its restart.
    const brokerConnected = async () =>
      metricValue(await (await fetch(`http://127.0.0.1:${ordersPort}/metrics`)).text(), 'events_broker_connected');
    expect(await brokerConnected()).toBe(1);
    await rabbit.stop();
    const down = await reportsBroker(ordersPort, 'down', FLIP_MS);
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'degraded', checks: { mongodb: { status: 'up' } } });
    expect(await brokerConnected()).toBe(0);

    await rabbit.start();
    const up = await reportsBroker(ordersPort, 'up', RECOVER_MS);
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('up');
    expect(await brokerConnected()).toBe(1);
    console.info(`orders readiness: broker down after ${down.ms} ms, up ${up.ms} ms after RabbitMQ returned`);
  }, 90_000);
});
