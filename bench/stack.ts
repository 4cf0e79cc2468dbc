// The whole stack for a benchmark run, on spare ports with databases of its own: a PostgreSQL
// database (shop_bench9), MongoDB databases under the prefix bench9_, a RabbitMQ vhost
// (shop_bench9), all created here and dropped by `teardown`. Processes are the real services
// (src/main.ts under tsx, NODE_ENV=production), as `pnpm bench:products` starts them.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import pg from 'pg';
import { seedProducts } from '../scripts/seed.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PORTS = {
  gateway: 4700,
  users: 4701,
  products: 4702,
  orders: 4703,
  payments: 4704,
  notifications: 4705,
  baseline: 4706,
};
export const SUBGRAPHS = ['users', 'products', 'orders', 'payments', 'notifications'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];
export const subgraphUrl = (name: SubgraphName) => `http://127.0.0.1:${PORTS[name]}/graphql`;

const NAME = 'shop_bench9';
const MONGO_PREFIX = 'bench9';
const pgServer = new URL(process.env.BENCH_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/postgres');
const databaseUrl = Object.assign(new URL(pgServer), { pathname: `/${NAME}` }).toString();
const amqpServer = new URL(process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';

/** Made by the users subgraph at start-up (ADMIN_EMAIL/ADMIN_PASSWORD). */
export const ADMIN = { email: 'admin@bench.example', password: 'Bench-admin-password-42!' };

/** The environment every process of the stack gets. */
export const stackEnv: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  JWT_SECRET: 'bench-secret-which-is-long-enough-for-hs256',
  DATABASE_URL: databaseUrl,
  MONGO_URL: mongoUrl,
  MONGO_DB_PREFIX: MONGO_PREFIX,
  AMQP_URL: Object.assign(new URL(amqpServer), { pathname: `/${NAME}` }).toString(),
  GATEWAY_PORT: String(PORTS.gateway),
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

async function dropMongo(): Promise<void> {
  const connection = await mongoose.createConnection(mongoUrl, { serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    for (const name of SUBGRAPHS) await connection.useDb(`${MONGO_PREFIX}_${name}`).dropDatabase();
  } finally {
    await connection.close();
  }
}

/** Fresh databases and vhost, migrated, with `products` seeded products. */
export async function setup(products: number): Promise<void> {
  await teardownData();
  await admin(`CREATE DATABASE ${NAME}`);
  await run('rabbitmqctl', ['add_vhost', NAME]);
  await run('rabbitmqctl', ['set_permissions', '-p', NAME, amqpServer.username || 'guest', '.*', '.*', '.*']);
  await run(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  await seedProducts(databaseUrl, products);
}

async function teardownData(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await run('rabbitmqctl', ['delete_vhost', NAME]).catch(() => undefined);
  await dropMongo();
}

export function pgClient(): pg.Client {
  return new pg.Client({ connectionString: databaseUrl });
}

/** Starts `src/main.ts` of a service (or a bench script) as a real process. */
export function start(name: string, script: string, env: Record<string, string> = {}, cwd = root): ChildProcess {
  // BENCH_CPU_PROF=orders,gateway: those processes write a V8 CPU profile to tmp/bench-profiles on exit.
  const profile = (process.env.BENCH_CPU_PROF ?? '').split(',').includes(name)
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${resolve(root, 'tmp/bench-profiles')}`,
        `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`,
      ]
    : [];
  const args = [...profile, '--import', 'tsx', '--conditions=source', script];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'), ...stackEnv, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code, signal) => code && !signal && console.error(`${name} exited with ${code}`));
  return child;
}

export const startService = (name: SubgraphName | 'gateway', env: Record<string, string> = {}) =>
  start(name, 'src/main.ts', env, resolve(root, name === 'gateway' ? 'gateway' : `subgraphs/${name}`));

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

/** The four subgraphs, started together, ready when each answers its readiness check. */
export async function startSubgraphs(children: ChildProcess[]): Promise<void> {
  const started = SUBGRAPHS.map((name) => {
    // Production wants an SMTP server; in development notifications logs its mail instead.
    const child = startService(name, name === 'notifications' ? { NODE_ENV: 'development' } : {});
    children.push(child);
    return [name, child] as const;
  });
  await Promise.all(
    started.map(([name, child]) => waitFor(`http://127.0.0.1:${PORTS[name]}/health/ready`, child, 120_000)),
  );
}

export async function teardown(children: ChildProcess[]): Promise<void> {
  await stop(children);
  await teardownData();
}
