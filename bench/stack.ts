// The whole stack for a benchmark run, on spare ports with databases of its own: a PostgreSQL
// database and a RabbitMQ vhost named BENCH_NAME (default shop_bench9), MongoDB databases under
// the prefix BENCH_MONGO_PREFIX (default bench9_), all created here and dropped by `teardown`
// (the orders scenario keeps its MongoDB data for the next run: bench/order-history.seeder.ts).
// Ports BENCH_PORT_BASE (default 5700) on. Processes are the real services (src/main.ts under
// tsx, their bundles with BENCH_RUNTIME=bundle, or their images' files with BENCH_RUNTIME=image;
// NODE_ENV=production).
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import pg from 'pg';
import { layOutImages } from '../scripts/image-files.js';
import { seedProducts } from '../scripts/seed.js';
import {
  graphqlUrl,
  ROOT,
  type Runtime,
  type ServiceName,
  SUBGRAPHS,
  type SubgraphName,
  serviceLaunch,
  spawnLaunch,
  stackAddressEnv,
  stackPorts,
  stopProcesses,
  waitReady,
} from '../scripts/stack.js';

export { SUBGRAPHS, type SubgraphName };
export const root = ROOT;
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 5700);
export const PORTS = { ...stackPorts(PORT_BASE), baseline: PORT_BASE + 6 };
export const subgraphUrl = (name: SubgraphName) => graphqlUrl(PORTS[name]);

const NAME = process.env.BENCH_NAME ?? 'shop_bench9';
const MONGO_PREFIX = process.env.BENCH_MONGO_PREFIX ?? 'bench9';
if (!/^[a-z_][a-z0-9_]*$/.test(NAME) || !/^[a-z_][a-z0-9_]*$/.test(MONGO_PREFIX)) {
  throw new Error('BENCH_NAME and BENCH_MONGO_PREFIX are plain lower-case names');
}
const pgServer = new URL(process.env.BENCH_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/postgres');
const databaseUrl = Object.assign(new URL(pgServer), { pathname: `/${NAME}` }).toString();
const amqpServer = new URL(process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
/**
 * The PostgreSQL database behind the MongoDB-wire server (FerretDB's, BENCH_FERRETDB_DATABASE,
 * default ferretdb, on BENCH_DATABASE_URL's server): where the bench reads the server's own counters.
 */
export const ferretdbPgUrl = Object.assign(new URL(pgServer), {
  pathname: `/${process.env.BENCH_FERRETDB_DATABASE ?? 'ferretdb'}`,
}).toString();

/** Made by the users subgraph at start-up (ADMIN_EMAIL/ADMIN_PASSWORD). */
export const ADMIN = { email: 'admin@bench.example', password: 'Bench-admin-password-42!' };

/** The environment every process of the stack gets. */
export const stackEnv: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  JWT_SECRET: 'bench-secret-which-is-long-enough-for-hs256',
  GATEWAY_SIGNING_SECRETS: 'bench-gateway-signing-secret-long-enough',
  // The load comes from one address (and 10,000 subscribers are one user): per-address limits out of the way.
  REGISTER_LIMIT_PER_IP: '1000000',
  LOGIN_LIMIT_PER_IP: '1000000',
  WS_MAX_CONNECTIONS_PER_IP: '1000000',
  WS_MAX_CONNECTIONS_PER_USER: '1000000',
  CLIENT_COST_BUDGET: '1000000000000',
  // The fan-out bench opens up to 1,000 connections at once while the gateway authorises their
  // subscriptions; past the default 3 s some `connection_init` waited behind that work and was
  // refused (4408), where a real client would retry. Not what the bench measures.
  WS_CONNECTION_INIT_TIMEOUT_MS: '30000',
  DATABASE_URL: databaseUrl,
  MONGO_URL: mongoUrl,
  MONGO_DB_PREFIX: MONGO_PREFIX,
  AMQP_URL: Object.assign(new URL(amqpServer), { pathname: `/${NAME}` }).toString(),
  ...stackAddressEnv(PORTS),
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
};

const run = promisify(execFile);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgServer.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The database of one service: what its MONGO_DB_PREFIX makes of it. */
export const mongoDatabase = (service: string) => `${MONGO_PREFIX}_${service}`;

/** One connection to the bench's MongoDB-wire server (`useDb` reaches each service's database). */
export const connectBenchMongo = () =>
  mongoose
    // Indexes are the seeder's to build, after its bulk load; collections come with their first insert.
    .createConnection(mongoUrl, {
      serverSelectionTimeoutMS: 5_000,
      maxPoolSize: 20,
      autoIndex: false,
      autoCreate: false,
    })
    .asPromise();

async function dropMongo(): Promise<void> {
  const connection = await connectBenchMongo();
  try {
    // `bench` holds the orders scenario's seed marker, which must go with the data it describes.
    for (const name of [...SUBGRAPHS, 'bench']) await connection.useDb(mongoDatabase(name)).dropDatabase();
  } finally {
    await connection.close();
  }
}

/** keepMongo: the MongoDB databases are left as they are (the orders scenario's existing orders). */
export interface DataOptions {
  keepMongo?: boolean;
}

/** Fresh PostgreSQL database and vhost, migrated, with `products` seeded products; fresh MongoDB unless kept. */
export async function setup(products: number, options: DataOptions = {}): Promise<void> {
  await teardownData(options);
  await admin(`CREATE DATABASE ${NAME}`);
  await run('rabbitmqctl', ['add_vhost', NAME]);
  await run('rabbitmqctl', ['set_permissions', '-p', NAME, amqpServer.username || 'guest', '.*', '.*', '.*']);
  await run(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  await seedProducts(databaseUrl, products);
}

async function teardownData(options: DataOptions): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await run('rabbitmqctl', ['delete_vhost', NAME]).catch(() => undefined);
  if (!options.keepMongo) await dropMongo();
}

export function pgClient(): pg.Client {
  return new pg.Client({ connectionString: databaseUrl });
}

/** BENCH_LOG_DIR=dir: each process's log (LOG_LEVEL, default warn) in dir/<name>.log, to see why requests failed. */
function logFile(name: string): 'ignore' | number {
  const dir = process.env.BENCH_LOG_DIR;
  if (!dir) return 'ignore';
  mkdirSync(dir, { recursive: true });
  return openSync(resolve(dir, `${name}.log`), 'a');
}

/** BENCH_CPU_PROF=orders,gateway: those processes write a V8 CPU profile to tmp/bench-profiles on exit. */
function profileArgs(name: string): string[] {
  return (process.env.BENCH_CPU_PROF ?? '').split(',').includes(name)
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${resolve(root, 'tmp/bench-profiles')}`,
        `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`,
      ]
    : [];
}

function launched(name: string, launch: { cwd: string; args: string[] }, env: Record<string, string>): ChildProcess {
  const child = spawnLaunch(launch, { ...stackEnv, ...env }, ['ignore', logFile(name), 'inherit']);
  child.on('exit', (code, signal) => code && !signal && console.error(`${name} exited with ${code}`));
  return child;
}

/** Starts a script of this repository (TypeScript under tsx, e.g. the baseline gateway) as a real process. */
export function start(name: string, script: string, env: Record<string, string> = {}): ChildProcess {
  return launched(
    name,
    { cwd: root, args: [...profileArgs(name), '--import', 'tsx', '--conditions=source', script] },
    env,
  );
}

/**
 * How the services run: `tsx` (src/main.ts compiled at start-up, as `pnpm dev`), `bundle` (the
 * bundles of `pnpm build --link-workspace`, their npm imports read from this checkout's
 * node_modules; quick to build, for profiling) or `image` (what the images run: the production
 * bundles of `pnpm build`, npm dependencies inside, each from a folder holding only its image's
 * files, scripts/image-files.ts).
 */
export type BenchRuntime = Runtime | 'image';

export function benchRuntime(name: string | undefined): BenchRuntime {
  if (name === 'tsx' || name === 'bundle' || name === 'image') return name;
  throw new Error(`runtime ${name}: one of tsx, bundle, image`);
}

/** `BENCH_RUNTIME=bundle|image` runs every scenario's services that way (see BenchRuntime). */
export const defaultRuntime = benchRuntime(process.env.BENCH_RUNTIME ?? 'tsx');

/** Where `image` runs each process from: tmp/bench-images/<process>, as its image's /app. */
const IMAGES = resolve(root, 'tmp/bench-images');

export function startService(
  name: ServiceName,
  env: Record<string, string> = {},
  runtime: BenchRuntime = defaultRuntime,
): ChildProcess {
  if (runtime !== 'image') return launched(name, serviceLaunch(name, runtime, profileArgs(name)), env);
  const cwd = join(IMAGES, name);
  // The gateway's image holds the supergraph at its root (the Dockerfile's SUPERGRAPH_PATH).
  const supergraph: Record<string, string> =
    name === 'gateway' ? { SUPERGRAPH_PATH: join(cwd, 'supergraph.graphql') } : {};
  return launched(name, { ...serviceLaunch(name, 'bundle', profileArgs(name)), cwd }, { ...supergraph, ...env });
}

/** Builds what `runtime` runs, before any clock starts (tsx needs nothing). */
export async function prepareRuntime(runtime: BenchRuntime): Promise<void> {
  if (runtime === 'bundle') {
    await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--link-workspace'], { cwd: root });
  } else if (runtime === 'image') {
    await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: root });
    await rm(IMAGES, { recursive: true, force: true });
    await layOutImages(IMAGES);
  }
}

export async function waitFor(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${url} did not come up`);
}

export const stop = (children: ChildProcess[]): Promise<void> => stopProcesses(children);

/** The five subgraphs, started together, ready when each answers its readiness check. */
export async function startSubgraphs(children: ChildProcess[], runtime: BenchRuntime = defaultRuntime): Promise<void> {
  const started = SUBGRAPHS.map((name) => {
    // Production wants an SMTP server; in development notifications logs its mail instead.
    const child = startService(name, name === 'notifications' ? { NODE_ENV: 'development' } : {}, runtime);
    children.push(child);
    return [name, child] as const;
  });
  await Promise.all(started.map(([name, child]) => waitReady(name, PORTS[name], child, 120_000)));
}

export async function teardown(children: ChildProcess[], options: DataOptions = {}): Promise<void> {
  await stop(children);
  await teardownData(options);
}
