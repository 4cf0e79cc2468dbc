// `pnpm bench [federation|storefront|deep|orders|subscriptions|cold-start|gateways] [--concurrency N] [--warmup S]
//   [--duration S] [--rounds N] [--products N] [--gateway-env KEY=VALUE,…] [--existing N] [--fresh]
//   [--hot N] [--stock N] [--purchase-limit N] [--accept-encoding br|gzip]`
//
// federation (default): scenarios 1 (storefront: a filtered products page) and 2 (deep: a
// customer's 50 orders → items → product, user, payment), each against our gateway, a vanilla
// ApolloServer + ApolloGateway({ supergraphSdl }) baseline, and the subgraphs themselves (the
// gateway's own fetches replayed directly, wave by wave), taking turns; prints req/s, p50/p95/p99
// and the ratios. storefront and deep run one of the two. --gateway-env sets our gateway's
// configuration (e.g. SUBGRAPH_DEDUPLICATION=false), to measure its optimizations one by one;
// --accept-encoding adds our gateway as a client accepting that encoding (response compression).
// orders: scenario 3, createOrder + processPayment at the same concurrency for --duration
// seconds on --existing N orders already stored (default 100,000; seeded in bulk once and kept,
// --fresh seeds again), then the commands per order, the servers' rates and the zero-oversell
// check (bench/order-placement.ts); --hot N spreads the orders over N products (default 20; 1 is a
// flash sale, every reservation on one row), --stock N units each (default 150), --purchase-limit N
// the purchaseLimit of each (default 0: none). subscriptions: scenario 4, --subscribers N graphql-ws
// subscribers on one order (bench/subscription-fanout.ts).
// cold-start: scenario 5, the whole stack from spawn to every process ready, under tsx and as the
// images run it (--runtime tsx|bundle|image for one; see BenchRuntime in stack.ts).
// BENCH_RUNTIME=bundle|image runs any scenario that way. gateways: The Guild's gateways benchmark, our gateway against vanilla
// @apollo/gateway and Hive Gateway on its Rust subgraphs (bench/gateway-comparison.ts; no databases).
//
// Starts everything on ports 5700–5709 (BENCH_PORT_BASE; clear of the test stacks on 4000–4799)
// with databases of its own (see stack.ts), drops them after (but the orders scenario's MongoDB data).
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import {
  answerBytes,
  DEEP,
  graphql,
  ok,
  type RecordedFetch,
  recordFetches,
  replay,
  STOREFRONT,
  seedCustomerOrders,
} from './fixtures.js';
import { gatewayComparison } from './gateway-comparison.js';
import { compare, type Figures, type LoadPlan, loadAverage, printTable, type Target } from './load.js';
import { numberOption } from './number-option.js';
import { prepareOrderHistory } from './order-history.seeder.js';
import { orderPlacement } from './order-placement.js';
import {
  ADMIN,
  type BenchRuntime,
  benchRuntime,
  defaultRuntime,
  PORTS,
  prepareRuntime,
  SUBGRAPHS,
  setup,
  stackEnv,
  start,
  startService,
  startSubgraphs,
  teardown,
  waitFor,
} from './stack.js';
import { subscriptionFanOut } from './subscription-fanout.js';

const args = process.argv.slice(2);
const command = args[0] && !args[0].startsWith('--') ? args[0] : 'federation';
const plan: LoadPlan = {
  concurrency: numberOption('concurrency', 50),
  warmupSeconds: numberOption('warmup', 10),
  measureSeconds: numberOption('duration', 20),
  rounds: numberOption('rounds', 4),
};
const PRODUCTS = numberOption('products', 5_000);
const gatewayEnvArg = args.indexOf('--gateway-env');
const gatewayEnv = Object.fromEntries(
  (gatewayEnvArg >= 0 ? (args[gatewayEnvArg + 1] ?? '') : '')
    .split(',')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
/** `--accept-encoding br|gzip`: our gateway once more as a client accepting that encoding, and the answer sizes. */
const acceptEncodingArg = args.indexOf('--accept-encoding');
const acceptEncoding = acceptEncodingArg >= 0 ? args[acceptEncodingArg + 1] : undefined;
const gatewayUrl = `http://127.0.0.1:${PORTS.gateway}/graphql`;
const baselineUrl = `http://127.0.0.1:${PORTS.baseline}/graphql`;

/** The baseline has no health route: ready when it answers a query. */
async function waitForGraphql(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: exited with ${child.exitCode}`);
    const answer = await graphql(url, '{ __typename }').catch(() => undefined);
    if (answer?.data) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function startGateways(children: ChildProcess[]): Promise<void> {
  const gateway = startService('gateway', gatewayEnv);
  const baseline = start('baseline', 'bench/baseline-gateway.ts', { BASELINE_PORT: String(PORTS.baseline) });
  children.push(gateway, baseline);
  await waitFor(`http://127.0.0.1:${PORTS.gateway}/health/ready`, gateway, 120_000);
  await waitForGraphql(baselineUrl, baseline);
}

function ratios(figures: Figures[]): string {
  const [ours, vanilla, subgraphs] = figures;
  if (!ours || !vanilla || !subgraphs) return '';
  const x = (a: number, b: number) => (a / b).toFixed(2);
  const overhead = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(0)} %`;
  return [
    `ours/vanilla req/s ×${x(ours.rps, vanilla.rps)}; p95 ×${x(ours.p95, vanilla.p95)}`,
    `gateway overhead over the subgraphs' own time (p50): ours ${overhead(ours.p50, subgraphs.p50)}, ` +
      `vanilla ${overhead(vanilla.p50, subgraphs.p50)}; req/s ours/subgraphs ×${x(ours.rps, subgraphs.rps)}`,
  ].join('\n');
}

/** Both gateways must give the same answer before their speed is compared. */
async function sameAnswer(operation: typeof DEEP, authorization?: string): Promise<void> {
  const [ours, vanilla] = await Promise.all(
    [gatewayUrl, baselineUrl].map((url) => graphql(url, operation.query, operation.variables, authorization)),
  );
  if (ours?.errors || !ours?.data) throw new Error(`our gateway: ${JSON.stringify(ours?.errors)}`);
  if (JSON.stringify(ours) !== JSON.stringify(vanilla)) throw new Error('the gateways answer differently');
}

async function scenario(title: string, operation: typeof DEEP, authorization?: string): Promise<void> {
  await sameAnswer(operation, authorization);
  const waves = await recordFetches(operation, authorization);
  const body = JSON.stringify(operation);
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const targets: Target[] = [
    { name: 'ours', http: { url: gatewayUrl, body, headers } },
    { name: 'vanilla @apollo/gateway', http: { url: baselineUrl, body, headers } },
    { name: 'subgraphs direct', call: replay(waves, authorization) },
  ];
  if (acceptEncoding) {
    const compressed = { ...headers, 'accept-encoding': acceptEncoding };
    targets.push({
      name: `ours, accept-encoding ${acceptEncoding}`,
      http: { url: gatewayUrl, body, headers: compressed },
    });
    const [plain, sent] = await Promise.all([
      answerBytes(gatewayUrl, body, headers),
      answerBytes(gatewayUrl, body, compressed),
    ]);
    console.log(`\n${title}: answer ${plain.bytes} bytes as is, ${sent.bytes} bytes as ${sent.encoding ?? 'is'}`);
  }
  console.log(`\n${title}: each subgraph fetch alone, 20 times in a row (median):`);
  for (const wave of waves) console.log(`  ${await fetchTimes(wave, authorization)}  (in parallel)`);
  console.log(`load average ${loadAverage()}`);
  const figures = await compare(targets, plan);
  printTable(`${title} (concurrency ${plan.concurrency})`, figures);
  console.log(`\n${ratios(figures)}\nload average after: ${loadAverage()}`);
}

/** Median time of each fetch of a wave sent alone, to show which subgraph a request waits for. */
async function fetchTimes(wave: RecordedFetch[], authorization?: string): Promise<string> {
  const parts: string[] = [];
  for (const fetched of wave) {
    const call = replay([[fetched]], authorization);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await call();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    parts.push(`port ${new URL(fetched.url).port} ${(times[10] ?? 0).toFixed(1)} ms`);
  }
  return parts.join(' ∥ ');
}

async function federation(which: 'storefront' | 'deep' | 'both' = 'both'): Promise<void> {
  const children: ChildProcess[] = [];
  try {
    await setup(PRODUCTS);
    await startSubgraphs(children);
    await startGateways(children);
    const authorization = await seedCustomerOrders(gatewayUrl, 50);
    const orders = await graphql(gatewayUrl, DEEP.query, {}, authorization);
    const count = (orders.data?.orders as { edges: unknown[] } | undefined)?.edges.length;
    if (count !== 50) throw new Error(`expected 50 orders: ${JSON.stringify(orders).slice(0, 500)}`);
    if (which !== 'deep') await scenario('Scenario 1: storefront', STOREFRONT);
    if (which !== 'storefront')
      await scenario("Scenario 2: deep federated (a customer's 50 orders)", DEEP, authorization);
  } finally {
    await teardown(children);
  }
}

/**
 * Scenario 3: placement through our gateway only (the baseline shares the subgraphs, so it would not
 * differ), on `--existing N` orders (BENCH_EXISTING_ORDERS, default 100,000) already in the
 * databases. They stay for the next run, which reuses them unless `--fresh`.
 */
async function orders(): Promise<void> {
  const children: ChildProcess[] = [];
  const existing = numberOption('existing', Number(process.env.BENCH_EXISTING_ORDERS ?? 100_000));
  try {
    await setup(PRODUCTS, { keepMongo: true });
    console.log(`existing orders: ${existing.toLocaleString('en-US')} (bench/order-history.seeder.ts)`);
    const history = await prepareOrderHistory({
      orders: existing,
      products: PRODUCTS,
      fresh: args.includes('--fresh'),
    });
    await startSubgraphs(children);
    const gateway = startService('gateway', gatewayEnv);
    children.push(gateway);
    await waitFor(`http://127.0.0.1:${PORTS.gateway}/health/ready`, gateway, 120_000);
    const mongoPort = Number(new URL(stackEnv.MONGO_URL ?? '').port || 27017);
    await orderPlacement(gatewayUrl, plan, {
      existing: { ...history, orders: existing },
      mongoPort,
      products: numberOption('hot', 20),
      stock: numberOption('stock', 150),
      purchaseLimit: numberOption('purchase-limit', 0),
    });
  } finally {
    await teardown(children, { keepMongo: true });
  }
}

/** Scenario 4: `--subscribers N` (default 10,000) on our gateway. */
async function subscriptions(): Promise<void> {
  const children: ChildProcess[] = [];
  try {
    await setup(200);
    await startSubgraphs(children);
    const gateway = startService('gateway', gatewayEnv);
    children.push(gateway);
    await waitFor(`http://127.0.0.1:${PORTS.gateway}/health/ready`, gateway, 120_000);
    await subscriptionFanOut(
      gatewayUrl,
      `http://127.0.0.1:${PORTS.gatewayMetrics}/metrics`,
      ADMIN,
      numberOption('subscribers', 10_000),
    );
  } finally {
    await teardown(children);
  }
}

/**
 * Scenario 5: all six processes spawned at once (the gateway needs no subgraph to start: its
 * supergraph is a file) until the gateway is ready, which includes every subgraph's readiness,
 * and has answered a storefront query. Measured for each runtime in turn (`--runtime
 * tsx|bundle|image` for one; default tsx, as `pnpm dev` runs them, then image, as the production
 * images run them), each built before the clock starts.
 */
async function coldStart(): Promise<void> {
  const runtimeArg = args.indexOf('--runtime');
  const runtimes: BenchRuntime[] = runtimeArg >= 0 ? [benchRuntime(args[runtimeArg + 1])] : ['tsx', 'image'];
  for (const runtime of runtimes) await prepareRuntime(runtime);
  for (const runtime of runtimes) {
    const children: ChildProcess[] = [];
    try {
      await setup(200);
      const startedAt = performance.now();
      const gateway = startService('gateway', gatewayEnv, runtime);
      children.push(gateway);
      await startSubgraphs(children, runtime);
      const subgraphsReady = performance.now();
      await waitFor(`http://127.0.0.1:${PORTS.gateway}/health/ready`, gateway, 120_000);
      await ok(graphql(gatewayUrl, STOREFRONT.query, STOREFRONT.variables));
      const firstAnswer = performance.now();
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(
        `cold start (${runtime}): ${SUBGRAPHS.length} subgraphs ready after ${s(subgraphsReady - startedAt)}, ` +
          `gateway ready and first storefront answer after ${s(firstAnswer - startedAt)} (load average ${loadAverage()})`,
      );
    } finally {
      await teardown(children);
    }
  }
}

const commands: Record<string, () => Promise<void>> = {
  federation: () => federation('both'),
  storefront: () => federation('storefront'),
  deep: () => federation('deep'),
  orders,
  subscriptions,
  'cold-start': coldStart,
  gateways: () => gatewayComparison({ plan, gatewayEnv }),
};
const selected = commands[command];
if (!selected) throw new Error(`unknown benchmark ${command}: one of ${Object.keys(commands).join(', ')}`);
console.log(
  `# pnpm bench ${command}: ${cpus().length} cores, Node ${process.version}, load average ${loadAverage()}; ` +
    `concurrency ${plan.concurrency}, warm-up ${plan.warmupSeconds} s, ${plan.measureSeconds} s measured in ${plan.rounds} rounds; ` +
    `our gateway's settings ${JSON.stringify(gatewayEnv)}; services under ${command === 'cold-start' ? 'each runtime in turn' : defaultRuntime}; MONGO_URL ${stackEnv.MONGO_URL}`,
);
// Scenario 5 prepares its runtimes itself; the others run under BENCH_RUNTIME.
const prepared = command === 'cold-start' ? Promise.resolve() : prepareRuntime(defaultRuntime);
prepared.then(selected).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
