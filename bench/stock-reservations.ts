// `pnpm bench:stock [--history N] [--requests N]`: the cost of one stock reservation as the
// reservation history grows. Every order line stays in `stock_reservations` for good (released,
// settled or held), and each reservation counts the customer's unpaid orders and, for a product
// with a purchase limit, the customer's units of it: both must stay as fast on a long history as
// on a short one. Creates a private database (migrated, beside shop_test), adds 1,000 products
// (every other one with a purchase limit high enough never to refuse, so the count always runs),
// then measures StockService.reserve (two lines: a limited product and another, for one of 200
// customers, the order settled after, as a payment would) on a history of 10,000 lines and again
// after growing it to --history lines (default 1,000,000, spread over 20,000 customers, most
// settled, some released, some the measured customers'), then the same without a customer (what
// the limits cost), and prints the query plans of both counts at the large size. Drops the
// database at the end. Needs PostgreSQL only (TEST_DATABASE_URL).
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { testContext } from '@shop/platform/testing';
import pg from 'pg';
import { createProductsDb } from '../subgraphs/products/src/product/product.model.js';
import { statementsOf } from '../subgraphs/products/src/sql-statements.test-fixture.js';
import { StockService } from '../subgraphs/products/src/stock/stock.service.js';
import { createPrivateTestDb } from '../subgraphs/products/src/test-db.js';
import { percentile, timedRuns } from './load.js';
import { numberOption } from './number-option.js';
import { printPlans } from './sql-plans.js';

const HISTORY = numberOption('history', 1_000_000);
const REQUESTS = numberOption('requests', 2_000);
const SMALL_HISTORY = 10_000;
const PRODUCTS = 1_000;
const CUSTOMERS = 20_000;
const ACTIVE_CUSTOMERS = 200;
const CONCURRENCY = 10;
/** Past ×this, the p50 on the long history counts as grown with it. */
const FLAT = 1.5;

let benchUrl = '';

async function sql(text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

/** Products with stock for every reservation of the run; the even ones with a purchase limit. */
async function seedProducts(): Promise<{ limited: string[]; plain: string[] }> {
  const { rows } = await sql(
    `INSERT INTO products (name, description, price, category, inventory, purchase_limit, updated_at)
     SELECT 'Bench ' || i, '', 9.99, 'bench', 1000000000, CASE WHEN i % 2 = 0 THEN 1000000 END, now()
     FROM generate_series(1, $1) AS i RETURNING id::text, purchase_limit`,
    [PRODUCTS],
  );
  const limited = rows.filter((row) => row.purchase_limit !== null).map((row) => row.id as string);
  const plain = rows.filter((row) => row.purchase_limit === null).map((row) => row.id as string);
  return { limited, plain };
}

/**
 * History lines up to `total` in all: one line per order, a random product, over the past year;
 * 85 % settled (paid), 10 % released (cancelled or expired), the rest held unpaid but older than the
 * unpaid-order window. Customer `c<i>`; the measured customers are among them.
 */
async function growHistory(total: number): Promise<void> {
  const { rows } = await sql('SELECT count(*)::int AS n FROM stock_reservations');
  const from = (rows[0]?.n as number) + 1;
  if (from > total) return;
  await sql(
    `WITH p AS (SELECT array_agg(id ORDER BY id) AS ids FROM products)
     INSERT INTO stock_reservations
       (order_id, product_id, quantity, unit_price, created_at, confirmed_at, released_at, customer_id, settled_at)
     SELECT 'hist-' || i, p.ids[1 + floor(t.pick * $4)::int], 1 + i % 3, 9.99, t.at, t.at, CASE WHEN t.r < 0.10 THEN t.at END,
            'c' || (i % $3), CASE WHEN t.r >= 0.15 THEN t.at END
     FROM p, generate_series($1::int, $2::int) AS i,
          LATERAL (SELECT now() - make_interval(mins => 40 + ((i::bigint * 7919) % 525600)::int) AS at, random() AS r, random() AS pick) AS t`,
    [from, total, CUSTOMERS, PRODUCTS],
  );
  await sql('ANALYZE stock_reservations');
}

/** `withCustomer` false: reservations as an orders subgraph from before the limits sends them (neither applies). */
async function measure(stock: StockService, products: { limited: string[]; plain: string[] }, withCustomer = true) {
  const orders = testContext({ id: 'service:orders', role: 'SERVICE' }, {});
  const pick = (ids: string[]) => ids[Math.floor(Math.random() * ids.length)] as string;
  const { timings, seconds } = await timedRuns(REQUESTS, CONCURRENCY, async (timed) => {
    const orderId = randomUUID();
    const customer = `c${Math.floor(Math.random() * ACTIVE_CUSTOMERS)}`;
    const items = [
      { productId: pick(products.limited), quantity: 1 },
      { productId: pick(products.plain), quantity: 2 },
    ];
    await timed(() => stock.reserve(orders, orderId, items, withCustomer ? customer : undefined));
    // Paid, as the payment's event would settle it: the customer stays under the unpaid-order limit.
    await stock.settle(orderId);
  });
  const sorted = timings.sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), perSecond: sorted.length / seconds };
}

/** EXPLAIN ANALYZE of the statements of one reservation that read the customer's lines, as the service sends them. */
async function explainCounts(products: { limited: string[]; plain: string[] }): Promise<void> {
  const orders = testContext({ id: 'service:orders', role: 'SERVICE' }, {});
  const items = [
    { productId: products.limited[0] as string, quantity: 1 },
    { productId: products.plain[0] as string, quantity: 1 },
  ];
  const sent = await statementsOf(benchUrl, (db) => new StockService(db).reserve(orders, randomUUID(), items, 'c1'));
  await printPlans(
    benchUrl,
    sent.filter(({ query }) => query.startsWith('SELECT') && query.includes('."customer_id" = $')),
  );
}

async function main() {
  const load = () => loadavg().map((n) => n.toFixed(2));
  console.log(
    `# stock reservations as the history grows: ${SMALL_HISTORY} → ${HISTORY} lines, ${REQUESTS} reservations each`,
  );
  console.log(`load average before: ${load().join(' ')} (${cpus().length} cores)`);
  const own = await createPrivateTestDb();
  benchUrl = own.url;
  const { db, close } = createProductsDb(benchUrl);
  try {
    const products = await seedProducts();
    const stock = new StockService(db);
    const figures: { history: number; customer: boolean; p50: number; p99: number; perSecond: number }[] = [];
    for (const size of [SMALL_HISTORY, HISTORY]) {
      const grownAt = performance.now();
      await growHistory(size);
      console.log(
        `history of ${size.toLocaleString('en-US')} lines ready in ${((performance.now() - grownAt) / 1000).toFixed(1)} s`,
      );
      await measure(stock, products); // warm-up, and the measured customers' own recent lines
      figures.push({ history: size, customer: true, ...(await measure(stock, products)) });
    }
    figures.push({ history: HISTORY, customer: false, ...(await measure(stock, products, false)) });
    console.log('\n| history lines | customer sent (limits counted) | p50 ms | p99 ms | reservations/s |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const f of figures) {
      const cells = [f.history.toLocaleString('en-US'), f.customer ? 'yes' : 'no', f.p50.toFixed(2), f.p99.toFixed(2)];
      console.log(`| ${cells.join(' | ')} | ${f.perSecond.toFixed(0)} |`);
    }
    const [small, large, without] = figures as [(typeof figures)[0], (typeof figures)[0], (typeof figures)[0]];
    const ratio = large.p50 / small.p50;
    console.log(
      `\np50 on ${large.history.toLocaleString('en-US')} lines / on ${small.history.toLocaleString('en-US')}: ×${ratio.toFixed(2)} ` +
        `(flat: ≤ ×${FLAT}: ${ratio <= FLAT ? 'met' : 'missed'}); p99 ×${(large.p99 / small.p99).toFixed(2)}; ` +
        `with the limits / without, on ${large.history.toLocaleString('en-US')}: p50 ×${(large.p50 / without.p50).toFixed(2)}`,
    );
    await explainCounts(products);
    console.log(`\nload average after: ${load().join(' ')}`);
  } finally {
    await close();
    await own.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
