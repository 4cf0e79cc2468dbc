// Scenario 3: order placement end to end through our gateway, createOrder then processPayment
// (card), by many customers at once on a few products with limited stock, until the time is up;
// then the zero-oversell check: for every product, the units in orders that were not cancelled
// never exceed its starting stock, and PostgreSQL's inventory equals the start minus those units.
import mongoose from 'mongoose';
import { ADDRESS, graphql, productIds, register } from './fixtures.js';
import type { LoadPlan } from './load.js';
import { loadAverage } from './load.js';
import { pgClient, stackEnv } from './stack.js';

const PRODUCTS = 20;
const STOCK = 150;
const CUSTOMERS = 20;

const CREATE = `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }`;
const PAY = `mutation ($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;

export async function orderPlacement(gateway: string, plan: LoadPlan): Promise<void> {
  const products = (await productIds(gateway, PRODUCTS)).slice(0, PRODUCTS);
  const db = pgClient();
  await db.connect();
  try {
    await db.query('UPDATE products SET inventory = $1 WHERE id = ANY($2::uuid[])', [STOCK, products]);
    const customers: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) customers.push(await register(gateway, `buyer${i}`));

    const latencies: number[] = [];
    let refused = 0;
    let failed = 0;
    // Each kind of unexpected error once, with how often it came: a run that fails says why.
    const unexpected = new Map<string, number>();
    const fail = (errors: unknown) => {
      failed++;
      const key = JSON.stringify(errors).slice(0, 300);
      unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
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
          const code = created.errors?.[0]?.extensions?.code;
          if (code === 'INSUFFICIENT_STOCK' || code === 'CONFLICT') refused++;
          else fail(created.errors);
          continue;
        }
        const input = { orderId, paymentMethod: 'card', idempotencyKey: `pay-${orderId}` };
        const paid = await graphql(gateway, PAY, { input }, authorization);
        if (paid.errors) fail(paid.errors);
        else latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: plan.concurrency }, (_, index) => worker(index)));
    const seconds = (performance.now() - startedAt) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    console.log(`\n### Scenario 3: order placement (concurrency ${plan.concurrency}, ${seconds.toFixed(1)} s)\n`);
    console.log(
      `placed and paid ${sorted.length} orders: ${(sorted.length / seconds).toFixed(0)} orders/s; ` +
        `create+pay p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p95 ${percentile(sorted, 0.95).toFixed(0)} ms, ` +
        `p99 ${percentile(sorted, 0.99).toFixed(0)} ms; refused for stock ${refused}; other errors ${failed}; ` +
        `load average ${loadAverage()}`,
    );
    for (const [errors, count] of unexpected) console.log(`  ${count} × ${errors}`);
    await verifyNoOversell(db, products);
  } finally {
    await db.end();
  }
}

async function verifyNoOversell(db: ReturnType<typeof pgClient>, products: string[]): Promise<void> {
  const connection = await mongoose
    .createConnection(stackEnv.MONGO_URL ?? '', { dbName: `${stackEnv.MONGO_DB_PREFIX}_orders` })
    .asPromise();
  try {
    const orders = await connection
      .collection<{ status: string; items: { productId: string; quantity: number }[] }>('orders')
      .find({ status: { $ne: 'CANCELLED' } }, { projection: { status: 1, items: 1 } })
      .toArray();
    const ordered = new Map<string, number>();
    for (const order of orders)
      for (const item of order.items) ordered.set(item.productId, (ordered.get(item.productId) ?? 0) + item.quantity);
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
      oversold += Math.max(0, units - STOCK);
      if (row.inventory !== STOCK - units) mismatched++;
    }
    console.log(
      `zero-oversell check: ${products.length} products × ${STOCK} units, ${sold} units in live orders, ` +
        `${oversold} units oversold, ${mismatched} products whose inventory differs from stock − ordered`,
    );
    if (oversold || mismatched) throw new Error('oversold or inconsistent stock');
  } finally {
    await connection.close();
  }
}
