// `npx tsx bench/ferretdb-growth.ts <mongodb url> [sizes…]` (default sizes 1000 20000): how the
// operations the services send most grow with the collection. For each size, a fresh database
// with an orders collection (the orders indexes, 40 orders per user) filled in bulk, then one
// client, one at a time: findOne by _id, a user's newest 5 sorted, updateOne by _id. Prints the
// median time of each (up to 200 samples, fewer on a slow server) and its ratio to the first size. The database is dropped at the end.
import mongoose from 'mongoose';

const url = process.argv[2] ?? 'mongodb://127.0.0.1:27017';
const sizes = (process.argv.length > 3 ? process.argv.slice(3) : ['1000', '20000']).map(Number);
const PER_USER = 40;
const SAMPLES = 200;
const MIN_SAMPLES = 10;
const BUDGET_MS = 15_000; // per operation and size: a slow server gets fewer samples, at least MIN_SAMPLES
const BATCH = 1_000;

interface OrderDocument {
  _id: string;
  userId: string;
  status: string;
  createdAt: Date;
  totalAmount: string;
  items: { productId: string; quantity: number; unitPrice: string }[];
  shippingAddress: { street: string; city: string; zipCode: string; country: string };
  pendingEvents: unknown[];
}

const order = (i: number): OrderDocument => ({
  _id: `order-${String(i).padStart(7, '0')}`,
  userId: `user-${Math.floor(i / PER_USER)}`,
  status: i % 3 === 0 ? 'PAID' : 'DELIVERED',
  createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
  totalAmount: '19.99',
  items: [{ productId: '11111111-1111-4111-8111-111111111111', quantity: 1, unitPrice: '19.99' }],
  shippingAddress: { street: '1 Main St', city: 'Springfield', zipCode: '62701', country: 'US' },
  pendingEvents: [],
});

const samples: number[] = [];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function measure(size: number): Promise<Record<string, number>> {
  const connection = await mongoose.createConnection(url, { dbName: `bench_growth_${size}` }).asPromise();
  try {
    await connection.dropDatabase();
    const orders = connection.collection<OrderDocument>('orders');
    await orders.createIndex({ userId: 1, createdAt: -1, _id: -1 });
    await orders.createIndex({ createdAt: -1, _id: -1 });
    await orders.createIndex({ status: 1, createdAt: 1 });
    for (let start = 0; start < size; start += BATCH) {
      const count = Math.min(BATCH, size - start);
      await orders.insertMany(Array.from({ length: count }, (_, i) => order(start + i)));
    }
    const users = Math.ceil(size / PER_USER);
    const pick = (n: number) => (n * 7919) % size; // spread over the collection, same for every size
    const time = async (operation: (n: number) => Promise<unknown>) => {
      for (let n = 0; n < 3; n++) await operation(n); // warm-up
      const took: number[] = [];
      const deadline = performance.now() + BUDGET_MS;
      while (took.length < SAMPLES && (took.length < MIN_SAMPLES || performance.now() < deadline)) {
        const startedAt = performance.now();
        await operation(took.length);
        took.push(performance.now() - startedAt);
      }
      samples.push(took.length);
      return median(took);
    };
    return {
      'findOne by _id': await time((n) => orders.findOne({ _id: order(pick(n))._id })),
      "a user's newest 5, sorted": await time((n) =>
        orders
          .find({ userId: `user-${n % users}` })
          .sort({ createdAt: -1, _id: -1 })
          .limit(5)
          .toArray(),
      ),
      'updateOne by _id': await time((n) =>
        orders.updateOne({ _id: order(pick(n))._id }, { $set: { status: n % 2 ? 'SHIPPED' : 'PAID' } }),
      ),
    };
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
}

console.log(
  `# ${url}: median of ${MIN_SAMPLES}-${SAMPLES} sequential operations (${BUDGET_MS / 1000} s budget each), ${PER_USER} orders per user`,
);
const results: Record<string, number>[] = [];
for (const size of sizes) results.push(await measure(size));
const [first] = results;
for (const operation of Object.keys(first ?? {})) {
  const cells = results.map((result, i) => {
    const ms = result[operation] ?? 0;
    const ratio = i === 0 ? '' : ` (×${(ms / (first?.[operation] ?? ms)).toFixed(1)})`;
    return `${sizes[i]?.toLocaleString('en-US')}: ${ms.toFixed(2)} ms${ratio}`;
  });
  console.log(`${operation}: ${cells.join(', ')}`);
}
console.log(`samples per measurement: ${Math.min(...samples)}-${Math.max(...samples)}`);
