// The whole stack for a benchmark run, on spare ports with databases of its own: a PostgreSQL
// database and a RabbitMQ vhost named BENCH_NAME (default shop_bench9), MongoDB databases under
// the prefix BENCH_MONGO_PREFIX (default bench9_), all created here and dropped by `teardown`
// (the orders scenario keeps its MongoDB data for the next run: bench/order-history.seeder.ts).
// Ports BENCH_PORT_BASE (default 5700) to +9. Processes are the real services (src/main.ts under
// tsx, or their production bundles with BENCH_RUNTIME=bundle; NODE_ENV=production).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import pg from 'pg';
import { seedProducts } from '../scripts/seed.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 5700);
export const PORTS = {
  gateway: PORT_BASE,
  users: PORT_BASE + 1,
  products: PORT_BASE + 2,
  orders: PORT_BASE + 3,
  payments: PORT_BASE + 4,
  notifications: PORT_BASE + 5,
  baseline: PORT_BASE + 6,
  gatewayMetrics: PORT_BASE + 9,
};
export const SUBGRAPHS = ['users', 'products', 'orders', 'payments', 'notifications'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];
export const subgraphUrl = (name: SubgraphName) => `http://127.0.0.1:${PORTS[name]}/graphql`;

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
  DATABASE_URL: databaseUrl,
  MONGO_URL: mongoUrl,
  MONGO_DB_PREFIX: MONGO_PREFIX,
  AMQP_URL: Object.assign(new URL(amqpServer), { pathname: `/${NAME}` }).toString(),
  GATEWAY_PORT: String(PORTS.gateway),
  METRICS_PORT: String(PORTS.gatewayMetrics),
  USERS_PORT: String(PORTS.users),
  PRODUCTS_PORT: String(PORTS.products),
  ORDERS_PORT: String(PORTS.orders),
  PAYMENTS_PORT: String(PORTS.payments),
  USERS_URL: subgraphUrl('users'),
  PRODUCTS_URL: subgraphUrl('products'),
  ORDERS_URL: subgraphUrl('orders'),
  PAYMENTS_URL: subgraphUrl('payments'),
  NOTIFICATIONS_PORT: String(PORTS.notifications),
  NOTIFICATIONS_URL: subgraphUrl('notifications'),
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

function logFile(name: string): 'ignore' | number {
  const dir = process.env.BENCH_LOG_DIR;
  if (!dir) return 'ignore';
  mkdirSync(dir, { recursive: true });
  return openSync(resolve(dir, `${name}.log`), 'a');
}

/** Starts a script (TypeScript under tsx, or a built `.js` bundle as is) as a real process. */
export function start(name: string, script: string, env: Record<string, string> = {}, cwd = root): ChildProcess {
  // BENCH_CPU_PROF=orders,gateway: those processes write a V8 CPU profile to tmp/bench-profiles on exit.
  const profile = (process.env.BENCH_CPU_PROF ?? '').split(',').includes(name)
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${resolve(root, 'tmp/bench-profiles')}`,
        `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`,
      ]
    : [];
  const loader = script.endsWith('.ts') ? ['--import', 'tsx', '--conditions=source'] : ['--enable-source-maps'];
  const args = [...profile, ...loader, script];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'), ...stackEnv, ...env },
    // BENCH_LOG_DIR=dir: each process's log (LOG_LEVEL, default warn) in dir/<name>.log, to see why requests failed.
    stdio: ['ignore', logFile(name), 'inherit'],
  });
  child.on('exit', (code, signal) => code && !signal && console.error(`${name} exited with ${code}`));
  return child;
}

/**
 * How services are started: `tsx` (`src/main.ts`, compiled at start-up, as `pnpm dev` does) or
 * `bundle` (`dist/main.js` from `buildServiceBundles`, as production images run them).
 * `BENCH_RUNTIME=bundle` selects the bundles for every scenario.
 */
export type Runtime = 'tsx' | 'bundle';
export const defaultRuntime: Runtime = process.env.BENCH_RUNTIME === 'bundle' ? 'bundle' : 'tsx';

export const startService = (
  name: SubgraphName | 'gateway',
  env: Record<string, string> = {},
  runtime: Runtime = defaultRuntime,
) =>
  start(
    name,
    runtime === 'bundle' ? 'dist/main.js' : 'src/main.ts',
    env,
    resolve(root, name === 'gateway' ? 'gateway' : `subgraphs/${name}`),
  );

/** `pnpm build --link-workspace`: the production bundles, runnable in this checkout. */
export async function buildServiceBundles(): Promise<void> {
  await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--link-workspace'], { cwd: root });
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

export async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
}

/** The five subgraphs, started together, ready when each answers its readiness check. */
export async function startSubgraphs(children: ChildProcess[], runtime: Runtime = defaultRuntime): Promise<void> {
  const started = SUBGRAPHS.map((name) => {
    // Production wants an SMTP server; in development notifications logs its mail instead.
    const child = startService(name, name === 'notifications' ? { NODE_ENV: 'development' } : {}, runtime);
    children.push(child);
    return [name, child] as const;
  });
  await Promise.all(
    started.map(([name, child]) => waitFor(`http://127.0.0.1:${PORTS[name]}/health/ready`, child, 120_000)),
  );
}

export async function teardown(children: ChildProcess[], options: DataOptions = {}): Promise<void> {
  await stop(children);
  await teardownData(options);
}
