import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventBus, type EventEnvelope, type SettledDelivery, type SubscribeOptions } from '@shop/events';
import { TEST_AMQP_URL } from '@shop/events/testing';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { createTokenService, type Principal, type TokenService } from './auth.js';
import { createLogger, type Logger } from './logger.js';
import { learnServer, mongoClientOptions } from './mongo.js';
import { buildIndexes } from './mongo-indexes.js';
import { MONGO_POOL_SIZE } from './mongo-pool.js';
import type { CommittedEvents } from './outbox.js';
import {
  type RequestContext,
  type RunningServer,
  type StartSubgraphOptions,
  type SubgraphDefinition,
  startSubgraph,
} from './subgraph.js';

/**
 * Test helpers (imported as `@shop/platform/testing`): a private database per test file on
 * the real MongoDB-wire server at MONGO_URL, dropped afterwards.
 */
export async function connectTestMongo(service: string): Promise<{ drop: () => Promise<void> }> {
  const url = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
  const dbName = `test_${service}_${randomUUID().slice(0, 8)}`;
  // As a service connects; monitorCommands also lets a test record what the code sends (recordQueryShapes).
  await mongoose.connect(url, { dbName, ...mongoClientOptions() });
  await Promise.all(Object.values(mongoose.models).map((model) => buildIndexes(model, silentLogger)));
  await learnServer();
  return {
    drop: async () => {
      await mongoose.connection.dropDatabase();
      await mongoose.disconnect();
    },
  };
}

/** A subgraph served by a test, and where to reach it. */
export interface TestSubgraph extends RunningServer {
  definition: SubgraphDefinition;
  url: string;
  /**
   * POSTs a GraphQL operation, as `principal` when one is given (a bearer token from the token
   * service the subgraph verifies with), and returns the JSON answer as the test types it.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the answer of its own query
  query: <T = any>(query: string, variables?: Record<string, unknown>, principal?: Principal) => Promise<T>;
}

/** Serves a subgraph in this process on a free port, as its main.ts would, without readiness checks. */
export async function serveTestSubgraph<S>(
  definition: SubgraphDefinition,
  services: S,
  tokens: TokenService,
  options: Partial<StartSubgraphOptions<S>> = {},
): Promise<TestSubgraph> {
  const server = await startSubgraph({
    definition,
    services,
    tokens,
    port: 0,
    log: silentLogger,
    readiness: [],
    ...options,
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}/graphql`;
  const query = async <T>(query: string, variables: Record<string, unknown> = {}, principal?: Principal) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (principal) headers.authorization = `Bearer ${await tokens.sign(principal)}`;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as T;
  };
  return { ...server, definition, url, query };
}

export { eventually } from './eventually.js';
export { parseRawEmail, type ReceivedEmail } from './raw-email.js';
export { relayTo, type TcpRelay, tcpRelay } from './tcp-relay.js';

/** A port that was free a moment ago (the OS's pick for a listener on 127.0.0.1, closed again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  return typeof address === 'object' && address ? address.port : 0;
}
/**
 * Writes `request` as it is on a new socket to 127.0.0.1:`port`, and resolves with all that came
 * back once the server closed it: for what an HTTP client would refuse to send.
 */
export function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request)} in 10 s`)));
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}
export {
  analyzeCollection,
  explainShapes,
  type PlanReport,
  type QueryShape,
  recordQueryShapes,
} from './query-plans.js';

/** The MongoDB operations `run` causes on mongoose's connection, as `collection.method`, in order. */
export async function mongoQueriesDuring(run: () => Promise<unknown>): Promise<string[]> {
  const queries: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => {
    queries.push(`${collection}.${method}`);
  });
  try {
    await run();
  } finally {
    mongoose.set('debug', false);
  }
  return queries;
}

export const silentLogger = pino({ level: 'silent' });

/**
 * The project's logger (createLogger: redaction, request and trace ids) at `level`, writing each
 * line, parsed, to `lines`: a test reads what would have been logged.
 */
// biome-ignore lint/suspicious/noExplicitAny: each test reads the fields it expects
export function recordingLogger<L = Record<string, any>>(
  level = 'info',
  service = 'test',
): { log: Logger; lines: L[] } {
  const lines: L[] = [];
  const log = createLogger(
    service,
    { LOG_LEVEL: level },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { log, lines };
}

export { TEST_AMQP_URL };

/**
 * A bus of a test file's own on the test broker: its exchange `<name>.events`, so its queues (named
 * `<name>.…` by the test) see only what it publishes, while other suites and the e2e stack share the vhost.
 */
export const testEventBus = (name: string): EventBus =>
  new EventBus({ url: TEST_AMQP_URL, exchange: `${name}.events`, log: silentLogger, connectionName: name });

export function testContext<S>(principal: Principal | null, services: S): RequestContext<S> {
  return {
    principal,
    requestId: randomUUID(),
    log: silentLogger,
    authorization: undefined,
    clientIp: '127.0.0.1',
    services,
  };
}

/** The code of the error `promise` rejects with, or 'resolved': for asserting a refusal. */
export const codeOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'resolved',
    (error: { extensions?: { code?: unknown } }) => error.extensions?.code,
  );

/** The code and message of the error `promise` rejects with ('resolved' when it does not). */
export const refusalOf = (promise: Promise<unknown>): Promise<'resolved' | { code: unknown; message: string }> =>
  promise.then(
    () => 'resolved' as const,
    (error: { message: string; extensions?: { code?: unknown } }) => ({
      code: error.extensions?.code,
      message: error.message,
    }),
  );

/** The extensions (code, fields, …) of the error `promise` rejects with; undefined when it resolves. */
export const extensionsOf = (promise: Promise<unknown>): Promise<Record<string, unknown> | undefined> =>
  promise.then(
    () => undefined,
    (error: { extensions?: Record<string, unknown> }) => error.extensions,
  );

/**
 * One sample's value from a Prometheus text scrape: the series named `name` whose labels include
 * `labels` (0 when absent, so a counter's first increment shows as a move from 0).
 */
export function metricValue(scrape: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of scrape.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-zA-Z_]\w*=")/);
    if (wanted.every((pair) => present.includes(pair))) total += Number(match[3]);
  }
  return total;
}

/** The access tokens' secret every test shares, as a process's JWT_SECRET (any of 32+ characters would do). */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';

/** The token settings every test shares. */
export const TEST_TOKEN_SETTINGS = {
  JWT_SECRET: [TEST_JWT_SECRET],
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 600,
};

export const createTestTokens = (): TokenService => createTokenService(TEST_TOKEN_SETTINGS);

/**
 * What a test sees a producer publish: a per-process queue (gone with this process) bound to
 * `events` on `bus`, each delivery added to `into`.
 */
export async function observeEvents(
  bus: EventBus,
  queue: string,
  events: SubscribeOptions['events'],
  into: EventEnvelope[],
): Promise<void> {
  await bus.subscribe({
    queue,
    exclusive: true,
    events,
    handler: async (event) => {
      into.push(event);
    },
  });
}

/**
 * Publishes `event` (again, while no queue is bound yet) and resolves once the consumer that
 * subscribed as `queue` on this bus has settled that very message. The sentinel for checks that
 * something did *not* happen: once the handler has run to its ack, its absence of effect is final.
 */
export async function publishSettled(
  bus: EventBus,
  queue: string,
  event: EventEnvelope,
  timeoutMs = 15_000,
): Promise<SettledDelivery> {
  let stopListening = () => {};
  const settled = new Promise<SettledDelivery>((resolve) => {
    stopListening = bus.onSettled((delivery) => {
      if (delivery.queue === queue && delivery.eventId === event.id) resolve(delivery);
    });
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!(await bus.publish(event)).routed) {
      if (Date.now() > deadline) throw new Error(`${event.type} ${event.id}: no queue bound within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${event.type} ${event.id}: not settled by ${queue} within ${timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
    });
    return await Promise.race([settled, timedOut]).finally(() => clearTimeout(timer));
  } finally {
    stopListening();
  }
}

/**
 * Runs `count` copies of a test script (a service "replica": its own process, its own per-process
 * state) against the test file's database and returns the JSON each printed on its last line of
 * output. The script calls replicaStart (MONGO_URL, REPLICA_DB and REPLICAS come from here, plus
 * whatever `env` adds) and replicaFinish.
 */
export async function runReplicas<T>(script: string, count: number, env: Record<string, string> = {}): Promise<T[]> {
  const root = resolve(fileURLToPath(import.meta.url), '../../../..');
  const replicaEnv = {
    ...process.env,
    // tsx needs the workspace tsconfig for its (legacy) decorators.
    TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'),
    REPLICA_DB: mongoose.connection.name,
    REPLICAS: String(count),
    REPLICA_RUN: randomUUID(),
    ...env,
  };
  const outputs = await Promise.all(
    Array.from({ length: count }, () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', script], {
        env: replicaEnv,
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      }),
    ),
  );
  return outputs.map(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as T);
}

/**
 * In a replica script: connects to the test file's database, then waits at a barrier for every
 * replica of the run (each records when it got there), and starts a moment after the last one
 * arrived: their work overlaps however long each took to start on a loaded machine.
 */
export async function replicaStart(): Promise<void> {
  const { MONGO_URL, REPLICA_DB, REPLICAS, REPLICA_RUN } = process.env;
  // Connections opened ahead, as many as a service may have: a burst then races at once, not staggered by set-up.
  await mongoose.connect(MONGO_URL ?? 'mongodb://127.0.0.1:27017', {
    dbName: REPLICA_DB,
    minPoolSize: MONGO_POOL_SIZE,
    maxPoolSize: MONGO_POOL_SIZE,
  });
  const barrier = mongoose.connection.collection<{ _id: string; run: string; at: number }>('test_replica_barrier');
  await barrier.insertOne({ _id: `${REPLICA_RUN}:${process.pid}`, run: REPLICA_RUN ?? '', at: Date.now() });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const arrived = await barrier.find({ run: REPLICA_RUN }).toArray();
    if (arrived.length >= Number(REPLICAS)) {
      const startAt = Math.max(...arrived.map((replica) => replica.at)) + 500;
      await new Promise((done) => setTimeout(done, Math.max(0, startAt - Date.now())));
      return;
    }
    if (Date.now() > deadline) throw new Error('the other replicas did not start within 60 s');
    await new Promise((done) => setTimeout(done, 10));
  }
}

/** In a replica script: prints its outcome for runReplicas and disconnects. */
export async function replicaFinish(outcome: unknown): Promise<void> {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  await mongoose.disconnect();
}

/**
 * An outbox for services under test without a broker: nothing is published now (`publishNow`
 * fails, as with the broker away), so every event stays in its document's outbox for inspection.
 */
export const offlineOutbox = {
  kick: (): void => {},
  publishNow: async (): Promise<void> => {
    throw new Error('no broker in this test');
  },
};

/** The offline outbox, also keeping every write handed to its wake-up (`kick`), in order. */
export function recordingOutbox(): typeof offlineOutbox & { kicked: CommittedEvents[] } {
  const kicked: CommittedEvents[] = [];
  return {
    ...offlineOutbox,
    kicked,
    kick: (committed?: CommittedEvents) => void (committed && kicked.push(committed)),
  };
}
