import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { EventBus, orderUpdated } from '@shop/events';
import { SHUTDOWN_TIMEOUT_MS } from '@shop/platform/core';
import {
  TEST_AMQP_URL as AMQP_URL,
  createTestTokens,
  eventually,
  metricValue,
  silentLogger,
} from '@shop/platform/testing';
import amqplib from 'amqplib';
import { type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingSubgraph } from '../../gateway/src/gateway.test-fixture.js';
import { subscriptionClient } from '../../gateway/src/subscriptions/subscription.test-client.js';
import { gatewayEnv, readiness, ServiceProcess } from './private-services.js';

// Real gateway processes (one, then a Node cluster of two workers) in front of a fake subgraph, on
// the test broker with an exchange of their own: SIGTERM with a request and a subscription open.

const EXCHANGE = `ops.gateway.${randomUUID().slice(0, 8)}`;
const ORDER_ID = 'o-ops-1';
// One peer for every subgraph: the catalogue has 3 products and the one order is PAID (the gateway
// re-runs a subscriber's query per event and asks for the order under the subscription's key).
const subgraph = new RecordingSubgraph();
let gate: { opened: Promise<void>; arrived: boolean } | undefined;
subgraph.answer = async ({ body }) => {
  const held = body.query?.includes('products') ? gate : undefined;
  if (held) {
    gate = undefined;
    held.arrived = true;
    await held.opened;
  }
  const order = { __typename: 'Order', id: ORDER_ID, status: 'PAID' };
  return { data: { products: { totalCount: 3 }, order, orderStatusChanged: order } };
};
/** Keeps the next catalogue query unanswered until `open()`. */
function holdNext(): { open: () => void; arrived: () => boolean } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = { opened, arrived: false };
  gate = held;
  return { open, arrived: () => held.arrived };
}
let publisher: EventBus;
let token: string;
const processes: ServiceProcess[] = [];

interface RunningGateway {
  process: ServiceProcess;
  port: number;
  metricsPort: number;
}

async function startGateway(label: string, env: Record<string, string> = {}): Promise<RunningGateway> {
  const { env: gatewayDefaults, port, metricsPort } = await gatewayEnv(subgraph.url());
  const gateway = new ServiceProcess('gateway', { ...gatewayDefaults, AMQP_EXCHANGE: EXCHANGE, ...env }, label);
  processes.push(gateway);
  await eventually(async () => (await readiness(port)).status === 200, 90_000, `${label} ready`);
  return { process: gateway, port, metricsPort };
}

/** A POST on a connection of its own (a cluster hands each new connection to the next worker). */
function graphqlOnNewConnection(
  port: number,
  query: string,
  requestId: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/graphql',
        agent: false,
        headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    call.on('error', reject);
    call.end(JSON.stringify({ query }));
  });
}

interface Watcher {
  client: Client;
  statuses: string[];
  closeCodes: number[];
  ended: Promise<unknown>;
}

/** A live subscription to the order's status; `ended` settles when the server ends it. */
function watchOrder(port: number): Watcher {
  const statuses: string[] = [];
  const closeCodes: number[] = [];
  const client = subscriptionClient(`http://127.0.0.1:${port}`, token, {
    on: { closed: (event) => closeCodes.push((event as { code: number }).code) },
  });
  const ended = new Promise((resolve) => {
    client.subscribe<{ orderStatusChanged: { status: string } }>(
      { query: `subscription { orderStatusChanged(orderId: "${ORDER_ID}") { id status } }` },
      {
        next: ({ data }) => {
          if (data) statuses.push(data.orderStatusChanged.status);
        },
        error: resolve,
        complete: () => resolve('complete'),
      },
    );
  });
  return { client, statuses, closeCodes, ended };
}

const orderPaid = () =>
  orderUpdated.create({
    orderId: ORDER_ID,
    userId: 'u-ops',
    previousStatus: 'PENDING',
    status: 'PAID',
    paymentStatus: 'SUCCEEDED',
  });

const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  await subgraph.start();
  publisher = new EventBus({ url: AMQP_URL, exchange: EXCHANGE, log: silentLogger, connectionName: 'ops-test' });
  const tokens = createTestTokens();
  token = await tokens.sign({ id: 'u-ops', role: 'CUSTOMER' });
}, 60_000);
afterAll(async () => {
  await Promise.all(processes.map((gateway) => gateway.stop()));
  await publisher?.close();
  await subgraph.close();
  const connection = await amqplib.connect(AMQP_URL);
  await (await connection.createChannel()).deleteExchange(EXCHANGE);
  await connection.close();
}, 60_000);

/** A subscriber on the gateway that has already received the order's PAID event: its socket is live. */
async function liveWatcher(gateway: RunningGateway): Promise<Watcher> {
  const watcher = watchOrder(gateway.port);
  await eventually(
    async () => metricValue(await scrape(gateway.metricsPort), 'gateway_active_subscriptions') === 1,
    10_000,
    'subscribed',
  );
  expect((await publisher.publish(orderPaid())).routed).toBe(true);
  await eventually(async () => watcher.statuses.includes('PAID'), 10_000, 'event delivered');
  return watcher;
}

describe('one gateway process', () => {
  let gateway: RunningGateway;

  it('serves /metrics on its own listener only', async () => {
    gateway = await startGateway('single');
    expect((await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).status).toBe(404);
    const metrics = await scrape(gateway.metricsPort);
    expect(metrics).toContain('service="gateway"');
    expect(metrics).toContain('gateway_active_subscriptions');
  }, 120_000);

  it('on SIGTERM, closes subscriptions with 1001, drops its event queue, finishes the request in flight, exits 0', async () => {
    const watcher = await liveWatcher(gateway);
    const held = holdNext();
    const inFlight = graphqlOnNewConnection(gateway.port, 'query Catalog { products { totalCount } }', randomUUID());
    await eventually(async () => held.arrived(), 10_000, 'request reached the subgraph');

    const signalled = Date.now();
    gateway.process.child.kill('SIGTERM');
    // Clients are told to go elsewhere (1001 Going Away; graphql-ws clients with retries reconnect),
    // and the replica's own event queue goes with its consumer.
    await watcher.ended;
    expect(watcher.closeCodes).toEqual([1001]);
    await eventually(async () => !(await publisher.publish(orderPaid())).routed, 5_000, 'event queue deleted');
    expect(gateway.process.child.exitCode).toBeNull();

    held.open();
    expect(await inFlight).toBe(200);
    await gateway.process.exited();
    const took = Date.now() - signalled;
    expect(gateway.process.child.exitCode).toBe(0);
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    await watcher.client.dispose();
    console.info(`gateway: exited 0 ${took} ms after SIGTERM, with a request in flight and a subscription open`);
  }, 60_000);
});

describe('GATEWAY_WORKERS=2', () => {
  it('shares the port between workers, reports their metrics together, and stops them all on SIGTERM', async () => {
    // Loopback is the trusted proxy, so X-Forwarded-For names the client of the rate limit below.
    const gateway = await startGateway('cluster', {
      GATEWAY_WORKERS: '2',
      TRUST_PROXY: 'loopback',
      LOGIN_LIMIT_PER_IP: '3',
    });
    // Ready as soon as one worker listens; the primary hands connections only to workers that do.
    const listening = () => gateway.process.logs().match(/"msg":"gateway listening"/g)?.length ?? 0;
    await eventually(async () => listening() === 2, 60_000, 'both workers listening');
    const listeningAt = Date.now();
    const workerPids = [...gateway.process.logs().matchAll(/"pid":(\d+),"msg":"gateway worker started"/g)].map(
      (match) => Number(match[1]),
    );
    expect(workerPids).toHaveLength(2);

    // New connections go to the workers in turn: both serve.
    const requestIds = Array.from({ length: 6 }, () => randomUUID());
    for (const id of requestIds) {
      expect(await graphqlOnNewConnection(gateway.port, 'query Catalog { products { totalCount } }', id)).toBe(200);
    }
    const servedBy = new Set(
      gateway.process
        .logs()
        .split('\n')
        .filter(
          (line) => requestIds.some((id) => line.includes(`"requestId":"${id}"`)) && line.includes('"msg":"request"'),
        )
        .map((line) => (JSON.parse(line) as { worker: number }).worker),
    );
    expect(servedBy).toEqual(new Set([1, 2]));

    // One login limit for the instance, not one per worker: of 6 logins from one address, spread
    // over both workers, 3 pass and 3 are refused.
    const login = 'mutation { login(input: { email: "a@example.com", password: "wrong password" }) { token } }';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        await graphqlOnNewConnection(gateway.port, login, randomUUID(), { 'x-forwarded-for': '203.0.113.7' }),
      );
    }
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);

    // The primary's /metrics is the sum over both workers, not one worker's share.
    expect((await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).status).toBe(404);
    const catalog = { operation: 'Catalog', type: 'query' };
    // Eventually: a worker busy for over a second (a loaded machine) is left out of one scrape.
    await eventually(
      async () =>
        metricValue(await scrape(gateway.metricsPort), 'graphql_operation_duration_seconds_count', catalog) === 6,
      30_000,
      'both workers counted',
    );

    // A worker that dies is replaced, and counted by the primary: its own counts died with it.
    const before = await scrape(gateway.metricsPort);
    expect(before).toMatch(/^gateway_worker_exits_total\{service="gateway"\} 0$/m);
    // The primary's start time, once (the merge leaves the workers' out), for the restart alert.
    expect(before.match(/^# TYPE process_start_time_seconds /gm)).toHaveLength(1);
    expect(before).toMatch(/^process_start_time_seconds\{service="gateway"\} \d+$/m);
    // The primary stops instead of looping on a worker that dies within 5 s of its start.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, listeningAt + 6_000 - Date.now())));
    process.kill(workerPids[0] ?? 0, 'SIGKILL');
    // Scraped at once, while its replacement starts: served, and the dead worker's requests stay
    // counted (a sum that went down would read as a counter reset).
    const whileReplacing = await scrape(gateway.metricsPort);
    expect(metricValue(whileReplacing, 'graphql_operation_duration_seconds_count', catalog)).toBe(6);
    await eventually(async () => listening() === 3, 60_000, 'a new worker listening');
    const replaced = await scrape(gateway.metricsPort);
    expect(metricValue(replaced, 'gateway_worker_exits_total')).toBe(1);
    expect(metricValue(replaced, 'graphql_operation_duration_seconds_count', catalog)).toBe(6);
    // The other first worker too: both exited workers' counts are summed into one, and kept.
    process.kill(workerPids[1] ?? 0, 'SIGKILL');
    await eventually(async () => listening() === 4, 60_000, 'a second new worker listening');
    for (let scrapes = 0; scrapes < 2; scrapes++) {
      const both = await scrape(gateway.metricsPort);
      expect(metricValue(both, 'gateway_worker_exits_total')).toBe(2);
      expect(metricValue(both, 'graphql_operation_duration_seconds_count', catalog)).toBe(6);
    }
    // A worker that hangs (stopped here) is summed from its last answer for a while, then fails the
    // scrapes (503), so that `up` goes to 0 and TargetDown pages; answering again, it is served.
    const metricsStatus = async () => (await fetch(`http://127.0.0.1:${gateway.metricsPort}/metrics`)).status;
    const hung = Number(
      [...gateway.process.logs().matchAll(/"pid":(\d+),"msg":"gateway worker started"/g)].at(-1)?.[1] ?? 0,
    );
    process.kill(hung, 'SIGSTOP');
    try {
      expect(await metricsStatus()).toBe(200);
      await eventually(async () => (await metricsStatus()) === 503, 60_000, 'a hung worker failing the scrape');
    } finally {
      process.kill(hung, 'SIGCONT');
    }
    await eventually(async () => (await metricsStatus()) === 200, 30_000, 'the worker answering again');

    const watcher = await liveWatcher(gateway);

    const signalled = Date.now();
    gateway.process.child.kill('SIGTERM');
    await watcher.ended;
    expect(watcher.closeCodes).toEqual([1001]);
    await gateway.process.exited();
    const took = Date.now() - signalled;
    expect(gateway.process.child.exitCode).toBe(0);
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const started = [...gateway.process.logs().matchAll(/"pid":(\d+),"msg":"gateway worker started"/g)];
    expect(started.map((match) => Number(match[1])).filter(alive)).toEqual([]);
    expect(gateway.process.logs()).not.toContain('did not stop cleanly');
    expect((await publisher.publish(orderPaid())).routed).toBe(false);
    await watcher.client.dispose();
    console.info(`gateway cluster: primary and its workers exited 0 ${took} ms after SIGTERM`);
  }, 150_000);
});
