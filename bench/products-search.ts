// `pnpm bench:products [--count N] [--requests N]`: the catalogue's filtered, searched first page
// on 100,000 products. Creates a private database (shop_bench), migrates and seeds it, prints the
// query plans of the exact SQL the products service runs, then measures p50/p99 latency of the
// same GraphQL query sent directly to the products subgraph and through the gateway, both
// started here on spare ports (5500, 5502). Drops the database at the end.
//
// Needs PostgreSQL and RabbitMQ (the gateway connects to the broker; it uses the test vhost and
// an exchange of its own). BENCH_DATABASE_URL names the server (the role needs CREATEDB).
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testContext } from '@shop/platform/testing';
import pg from 'pg';
import { seedProducts } from '../scripts/seed.js';
import type { ProductsDb } from '../subgraphs/products/src/product/product.model.js';
import { ProductService } from '../subgraphs/products/src/product/product.service.js';
import { statementsOf } from '../subgraphs/products/src/sql-statements.test-fixture.js';
import { percentile, timedRuns } from './load.js';
import { numberOption } from './number-option.js';
import { printPlans } from './sql-plans.js';
import { stop, waitFor } from './stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COUNT = numberOption('count', 100_000);
const REQUESTS = numberOption('requests', 2_000);
const CONCURRENCY = 10;
const ROUNDS = 10;

const server = new URL(process.env.BENCH_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/postgres');
const DB_NAME = 'shop_bench';
const benchUrl = Object.assign(new URL(server), { pathname: `/${DB_NAME}` }).toString();
const PORTS = { gateway: 5500, products: 5502, gatewayMetrics: 5509 };

/** The page the storefront asks for: a category, a search term, a price band, in stock only. */
const FILTER = { category: 'electronics', search: 'wireless', minPrice: '50.00', maxPrice: '300.00', inStock: true };
const QUERY = `query Bench($filter: ProductFilter) {
  products(filter: $filter, first: 20) {
    totalCount
    edges { cursor node { id name price inventory images } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

/** Prints EXPLAIN ANALYZE of every SQL statement ProductService.list sends for this filter. */
async function explain(filter: Record<string, unknown>): Promise<void> {
  const list = (db: ProductsDb) => new ProductService(db).list(testContext(null, {}), { filter, first: 20 });
  await printPlans(benchUrl, await statementsOf(benchUrl, list));
}

function start(name: string, dir: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], {
    cwd: resolve(root, dir),
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code) => code && console.error(`${name} exited with ${code}`));
  return child;
}

/** One way of asking for the page, and where its answer states the total. */
interface Target {
  url: string;
  init: RequestInit;
  total: (body: Record<string, unknown>) => unknown;
}

const graphqlTarget = (url: string): Target => ({
  url,
  init: {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables: { filter: FILTER } }),
  },
  total: (body) => (body as { data?: { products?: { totalCount?: number } } }).data?.products?.totalCount,
});

/** `total` requests, `concurrency` at a time; fails on any error or wrong answer. */
function measure(target: Target, total: number, concurrency: number, expectedCount: number) {
  return timedRuns(total, concurrency, async (timed) => {
    const { response, body } = await timed(async () => {
      const response = await fetch(target.url, target.init);
      return { response, body: (await response.json()) as Record<string, unknown> };
    });
    if (!response.ok || body.errors || target.total(body) !== expectedCount) {
      throw new Error(`${target.url}: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
  });
}

interface Figures {
  p50: number;
  p99: number;
  rps: number;
}

/**
 * The machine is shared, so load drifts during a run: the targets take turns in short rounds,
 * so that drift hits both alike and their ratio stays meaningful.
 */
async function compare(targets: Record<string, Target>, concurrency: number, expected: number) {
  const runs = new Map(Object.keys(targets).map((name) => [name, { timings: [] as number[], seconds: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of Object.entries(targets)) {
      const { timings, seconds } = await measure(target, REQUESTS / ROUNDS, concurrency, expected);
      const total = runs.get(name);
      total?.timings.push(...timings);
      if (total) total.seconds += seconds;
    }
  }
  const figures = new Map<string, Figures>();
  for (const [name, { timings, seconds }] of runs) {
    const sorted = timings.sort((a, b) => a - b);
    figures.set(name, { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), rps: sorted.length / seconds });
  }
  return figures;
}

async function latency(expected: number): Promise<void> {
  const gatewayUrl = `http://127.0.0.1:${PORTS.gateway}`;
  const targets: Record<string, Target> = {
    direct: graphqlTarget(`http://127.0.0.1:${PORTS.products}/graphql`),
    gateway: graphqlTarget(`${gatewayUrl}/graphql`),
    // The legacy REST shim: the same page as GET /api/products with limit/offset.
    rest: {
      url: `${gatewayUrl}/api/products?${new URLSearchParams({ ...FILTER, inStock: 'true', limit: '20' })}`,
      init: {},
      total: (body) => body.total,
    },
  };
  for (const target of Object.values(targets)) await measure(target, 200, CONCURRENCY, expected); // warm-up
  const load = () => loadavg().map((n) => n.toFixed(2));
  console.log(`load average before: ${load().join(' ')} (${cpus().length} cores)`);
  console.log('\n| path | concurrency | requests | p50 ms | p99 ms | req/s |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const ratios: string[] = [];
  for (const concurrency of [1, CONCURRENCY]) {
    const figures = await compare(targets, concurrency, expected);
    for (const [name, r] of figures) {
      const cells = [name, concurrency, REQUESTS, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0)];
      console.log(`| ${cells.join(' | ')} |`);
    }
    const direct = figures.get('direct');
    for (const name of ['gateway', 'rest']) {
      const other = figures.get(name);
      if (!direct || !other) continue;
      const ratio = (a: number, b: number) => (a / b).toFixed(2);
      ratios.push(
        `${name}/direct at concurrency ${concurrency}: p50 ×${ratio(other.p50, direct.p50)}, ` +
          `p99 ×${ratio(other.p99, direct.p99)}`,
      );
    }
  }
  console.log(`\n${ratios.join('\n')}`);
  console.log(`load average after: ${load().join(' ')}`);
}

async function countMatches(): Promise<number> {
  const client = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM products WHERE category = $1 AND (name ILIKE $2 OR description ILIKE $2)
         AND price BETWEEN $3 AND $4 AND inventory > 0`,
      [FILTER.category, `%${FILTER.search}%`, FILTER.minPrice, FILTER.maxPrice],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

async function main() {
  console.log(`# products search benchmark: ${COUNT} products, ${REQUESTS} requests per series`);
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const children: ChildProcess[] = [];
  try {
    await run(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], { DATABASE_URL: benchUrl });
    const seedStart = performance.now();
    await seedProducts(benchUrl, COUNT);
    console.log(`seeded ${COUNT} products in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    console.log('\n## Query plans (EXPLAIN ANALYZE of the SQL the service sends)');
    await explain(FILTER);

    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      JWT_SECRET: 'bench-secret-which-is-long-enough-for-hs256',
      GATEWAY_SIGNING_SECRETS: 'bench-gateway-signing-secret-long-enough',
      DATABASE_URL: benchUrl,
      PRODUCTS_PORT: String(PORTS.products),
      GATEWAY_PORT: String(PORTS.gateway),
      METRICS_PORT: String(PORTS.gatewayMetrics),
      AMQP_URL: process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/shop_test',
      AMQP_EXCHANGE: 'shop.bench',
      PRODUCTS_URL: `http://127.0.0.1:${PORTS.products}/graphql`,
      // Not started: the benchmarked query touches the products subgraph only.
      USERS_URL: 'http://127.0.0.1:5501/graphql',
      ORDERS_URL: 'http://127.0.0.1:5503/graphql',
      PAYMENTS_URL: 'http://127.0.0.1:5504/graphql',
      NOTIFICATIONS_URL: 'http://127.0.0.1:5505/graphql',
    };
    const products = start('products', 'subgraphs/products', env);
    children.push(products);
    await waitFor(`http://127.0.0.1:${PORTS.products}/health/ready`, products);
    const gateway = start('gateway', 'gateway', env);
    children.push(gateway);
    await waitFor(`http://127.0.0.1:${PORTS.gateway}/health/live`, gateway);

    const expected = await countMatches();
    console.log(`\n## Latency (filter ${JSON.stringify(FILTER)}, first: 20; ${expected} matches)`);
    await latency(expected);
  } finally {
    await stop(children);
    await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
