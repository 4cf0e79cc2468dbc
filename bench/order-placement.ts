// Scenario 3: order placement end to end through our gateway, createOrder then processPayment
// (card), by many customers at once on a few products with limited stock, until the time is up,
// on collections that already hold the existing orders (bench/order-history.seeder.ts). Then it
// waits until every paid order's reactions are done (the order PAID, its confirmation and receipt
// delivered), and reports orders/s, latency, errors, the MongoDB commands one order cost and the
// servers' rates (bench/server-activity.probe.ts); last the zero-oversell check: for every product,
// the units in this run's orders that were not cancelled never exceed its starting stock, and
// PostgreSQL's inventory equals the start minus those units.
import type { Connection } from 'mongoose';
import { ADDRESS, graphql, productIds, register } from './fixtures.js';
import type { LoadPlan } from './load.js';
import { loadAverage, percentile } from './load.js';
import type { HistoryReport } from './order-history.seeder.js';
import { type ActivitySample, ServerActivity } from './server-activity.probe.js';
import { connectBenchMongo, mongoDatabase, pgClient } from './stack.js';

const PRODUCTS = 20;
const STOCK = 150;
const CUSTOMERS = 20;
const DRAIN_TIMEOUT_MS = 120_000;
const TARGET = { ordersPerSecond: 100, p99Ms: 1_000 };

const CREATE = `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }`;
const PAY = `mutation ($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }`;

const count = (n: number) => n.toLocaleString('en-US');

/** The user id an access token was issued to (its `sub`). */
const subjectOf = (authorization: string): string =>
  (JSON.parse(Buffer.from(authorization.split('.')[1] ?? '', 'base64url').toString()) as { sub: string }).sub;

export interface PlacementContext {
  existing: HistoryReport & { orders: number };
  /** The MongoDB-wire server's port, to find its process for the CPU figure. */
  mongoPort: number;
  /** How many products the orders go to (`--hot N`; 1: a flash sale, every order on one row). */
  products?: number;
  /** Units of each at the start (`--stock N`). */
  stock?: number;
  /** Each product's purchaseLimit (`--purchase-limit N`; 0: none), so every reservation counts the buyer's units. */
  purchaseLimit?: number;
}

interface Outcome {
  latencies: number[];
  created: number;
  refused: number;
  failed: number;
  unexpected: Map<string, number>;
  seconds: number;
}

async function placeOrders(gateway: string, plan: LoadPlan, products: string[], customers: string[]): Promise<Outcome> {
  const outcome: Outcome = { latencies: [], created: 0, refused: 0, failed: 0, unexpected: new Map(), seconds: 0 };
  // Each kind of unexpected error once, with how often it came: a run that fails says why.
  const fail = (errors: unknown) => {
    outcome.failed++;
    const key = JSON.stringify(errors)
      .replace(/"requestId":"[^"]*"/g, '"requestId":…')
      .slice(0, 300);
    outcome.unexpected.set(key, (outcome.unexpected.get(key) ?? 0) + 1);
  };
  const startedAt = performance.now();
  const endAt = startedAt + plan.measureSeconds * 1000;
  const worker = async (index: number) => {
    const authorization = customers[index % customers.length];
    while (performance.now() < endAt) {
      const t0 = performance.now();
      const items = [{ productId: products[Math.floor(Math.random() * products.length)], quantity: 1 + (index % 2) }];
      const created = await graphql(gateway, CREATE, { input: { items, shippingAddress: ADDRESS } }, authorization);
      const orderId = (created.data?.createOrder as { id: string } | undefined)?.id;
      if (!orderId) {
        const { code, reason } = created.errors?.[0]?.extensions ?? {};
        // A buyer here holds at most its few loops' orders unpaid: the unpaid-order limit is a finding.
        if (code === 'INSUFFICIENT_STOCK' || (code === 'CONFLICT' && reason !== 'UNPAID_ORDERS_LIMIT'))
          outcome.refused++;
        else fail(created.errors);
        continue;
      }
      outcome.created++;
      const input = { orderId, paymentMethod: 'card', idempotencyKey: `pay-${orderId}` };
      const paid = await graphql(gateway, PAY, { input }, authorization);
      if (paid.errors) fail(paid.errors);
      else outcome.latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, (_, index) => worker(index)));
  outcome.seconds = (performance.now() - startedAt) / 1000;
  outcome.latencies.sort((a, b) => a - b);
  return outcome;
}

/** Sums a count over the buyers, one equality on `userId` each (an index serves it; FerretDB scans for `$in`). */
async function countOfBuyers(mongo: Connection, service: string, collection: string, buyers: string[], filter: object) {
  const counts = await Promise.all(
    buyers.map((userId) =>
      mongo
        .useDb(mongoDatabase(service))
        .collection(collection)
        .countDocuments({ userId, ...filter }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Until every order of the run has had its reactions: PAID in orders, its confirmation and its
 * receipt delivered (SENT) by notifications. Returns the seconds it took, or undefined on timeout.
 */
async function waitForReactions(mongo: Connection, buyers: string[], outcome: Outcome): Promise<number | undefined> {
  const startedAt = performance.now();
  const paid = outcome.latencies.length;
  while (performance.now() - startedAt < DRAIN_TIMEOUT_MS) {
    const [ordersPaid, confirmations, receipts] = await Promise.all([
      countOfBuyers(mongo, 'orders', 'orders', buyers, { status: 'PAID' }),
      countOfBuyers(mongo, 'notifications', 'notifications', buyers, {
        template: 'order-confirmation',
        status: 'SENT',
      }),
      countOfBuyers(mongo, 'notifications', 'notifications', buyers, { template: 'payment-receipt', status: 'SENT' }),
    ]);
    if (ordersPaid >= paid && confirmations >= outcome.created && receipts >= paid) {
      return (performance.now() - startedAt) / 1000;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return undefined;
}

function report(
  plan: LoadPlan,
  context: PlacementContext,
  outcome: Outcome,
  samples: { idle: ActivitySample; start: ActivitySample; loadEnd: ActivitySample; drained: ActivitySample },
  drainSeconds: number | undefined,
): void {
  const { existing } = context;
  const sorted = outcome.latencies;
  const rate = sorted.length / outcome.seconds;
  const [p50, p95, p99] = [0.5, 0.95, 0.99].map((p) => percentile(sorted, p));
  console.log(
    `\n### Scenario 3: order placement on ${count(existing.orders)} existing orders ` +
      `(concurrency ${plan.concurrency}, ${outcome.seconds.toFixed(1)} s)\n`,
  );
  const documents = Object.entries(existing.documents)
    .map(([name, n]) => `${name} ${count(n)}`)
    .join(', ');
  console.log(
    `existing data ${existing.reused ? 'found in place (run leftovers removed' : 'seeded in bulk (took'} ` +
      `${existing.seconds.toFixed(1)} s): ${documents}`,
  );
  console.log(
    `placed and paid ${count(sorted.length)} orders: ${rate.toFixed(1)} orders/s; create+pay p50 ${p50?.toFixed(0)} ms, ` +
      `p95 ${p95?.toFixed(0)} ms, p99 ${p99?.toFixed(0)} ms; created ${count(outcome.created)}; ` +
      `refused for stock ${outcome.refused}; other errors ${outcome.failed}; load average ${loadAverage()}`,
  );
  for (const [errors, n] of outcome.unexpected) console.log(`  ${n} × ${errors}`);

  const idleSeconds = (samples.start.at - samples.idle.at) / 1000;
  const idleRate = ServerActivity.commands(samples.idle, samples.start).total / idleSeconds;
  const spent = ServerActivity.commands(samples.start, samples.drained);
  const spentSeconds = (samples.drained.at - samples.start.at) / 1000;
  const perOrder = (n: number) => (sorted.length > 0 ? (n / sorted.length).toFixed(1) : 'n/a');
  const byCommand = Object.entries(spent.byCommand)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${perOrder(n)}`)
    .join(', ');
  console.log(
    `MongoDB commands per placed-and-paid order: ${perOrder(spent.total)} (${count(spent.total)} commands from all services ` +
      `from the load's start until every paid order's reactions were done, ` +
      `${drainSeconds === undefined ? `NOT within ${DRAIN_TIMEOUT_MS / 1000} s` : `${drainSeconds.toFixed(1)} s`} after the load; ` +
      `periodic work at rest ${idleRate.toFixed(1)} commands/s, ${perOrder(idleRate * spentSeconds)} of them per order): ${byCommand}`,
  );
  console.log(`during the load:\n  ${ServerActivity.describe(samples.start, samples.loadEnd).join('\n  ')}`);
  const { total } = ServerActivity.commands(samples.start, samples.loadEnd);
  const served = total / ((samples.loadEnd.at - samples.start.at) / 1000);
  const needed = TARGET.ordersPerSecond * (spent.total / Math.max(1, sorted.length));
  console.log(
    `target ≥ ${TARGET.ordersPerSecond} orders/s: ${rate >= TARGET.ordersPerSecond ? 'met' : `missed (×${(TARGET.ordersPerSecond / Math.max(rate, 0.01)).toFixed(1)} short)`}; ` +
      `p99 ≤ ${TARGET.p99Ms} ms: ${(p99 ?? Number.POSITIVE_INFINITY) <= TARGET.p99Ms ? 'met' : 'missed'}; errors: ${outcome.failed === 0 ? 'none' : outcome.failed}. ` +
      `At this cost per order the target needs about ${count(Math.round(needed))} MongoDB commands/s; the server served ${count(Math.round(served))}/s.`,
  );
}

export async function orderPlacement(gateway: string, plan: LoadPlan, context: PlacementContext): Promise<void> {
  const hot = context.products ?? PRODUCTS;
  const stock = context.stock ?? STOCK;
  const purchaseLimit = context.purchaseLimit || null;
  const products = (await productIds(gateway, hot)).slice(0, hot);
  const db = pgClient();
  await db.connect();
  const mongo = await connectBenchMongo();
  const activity = await ServerActivity.open(context.mongoPort);
  try {
    await db.query('UPDATE products SET inventory = $1, purchase_limit = $3 WHERE id = ANY($2::uuid[])', [
      stock,
      products,
      purchaseLimit,
    ]);
    const customers: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) customers.push(await register(gateway, `buyer${i}`));
    const buyers = customers.map(subjectOf);

    // The services' periodic work at rest (relay sweeps, expiry job), to tell it from the orders' cost.
    const idle = await activity.sample();
    await new Promise((done) => setTimeout(done, 3_000));
    const start = await activity.sample();
    const outcome = await placeOrders(gateway, plan, products, customers);
    const loadEnd = await activity.sample();
    const drainSeconds = await waitForReactions(mongo, buyers, outcome);
    const drained = await activity.sample();
    report(plan, context, outcome, { idle, start, loadEnd, drained }, drainSeconds);
    await verifyNoOversell(db, mongo, products, stock, buyers);
  } finally {
    await activity.close();
    await mongo.close();
    await db.end();
  }
}

async function verifyNoOversell(
  db: ReturnType<typeof pgClient>,
  mongo: Connection,
  products: string[],
  stock: number,
  buyers: string[],
): Promise<void> {
  const ordered = new Map<string, number>();
  const orders = mongo
    .useDb(mongoDatabase('orders'))
    .collection<{ items: { productId: string; quantity: number }[] }>('orders');
  for (const userId of buyers) {
    const live = await orders.find({ userId, status: { $ne: 'CANCELLED' } }, { projection: { items: 1 } }).toArray();
    for (const order of live)
      for (const item of order.items) ordered.set(item.productId, (ordered.get(item.productId) ?? 0) + item.quantity);
  }
  const { rows } = await db.query<{ id: string; inventory: number }>(
    'SELECT id::text, inventory FROM products WHERE id = ANY($1::uuid[])',
    [products],
  );
  let oversold = 0;
  let mismatched = 0;
  let sold = 0;
  for (const row of rows) {
    const units = ordered.get(row.id) ?? 0;
    sold += units;
    oversold += Math.max(0, units - stock);
    if (row.inventory !== stock - units) mismatched++;
  }
  console.log(
    `zero-oversell check: ${products.length} products × ${stock} units, ${sold} units in this run's live orders, ` +
      `${oversold} units oversold, ${mismatched} products whose inventory differs from stock − ordered`,
  );
  if (oversold || mismatched) throw new Error('oversold or inconsistent stock');
}
