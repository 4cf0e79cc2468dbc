import { hourOf, hourStart } from '@shop/platform/core';
// `npx tsx bench/ferretdb-growth.ts <mongodb url> [sizes…]` (default sizes 1000 100000): how each
// kind of operation the services send grows with the collection. For each size, a fresh database
// with an orders collection (the orders indexes, 40 orders per user) and a collection of expiring
// records (refresh tokens, login attempts, processed events: unique `_id`, indexed `expiresAt` and `expiresHour`),
// both filled in bulk. The documents a query should find are the same few at every size (20
// pending orders, 5 with undelivered events), so only the documents it should skip grow. Then one
// client, one operation at a time; prints the median time of each (up to 200 samples, at least
// 10 within a 15 s budget) and its ratio to the first size. The databases are dropped at the end.
// All orders newest first and their count go through the orders service's own code (its models on
// mongoose's default connection): an hour at a time (OrderHourRegistry), now being the history's last order.
// So do those of one status: the closed hours' parts are recorded as the service records them
// (`statusNet`, here all in the hour of placing, as this history has no transitions). Last, a page
// past the oldest of a status whose orders are all recent, before and after the hours are counted
// by status.
import { MAX_UPDATES_PER_COMMAND } from '@shop/platform/mongo';
import { encodeCursor } from '@shop/platform/subgraph';
import mongoose from 'mongoose';
import { OrderStatus } from '../subgraphs/orders/src/order/order.type.js';
import { OrderHourModel, type StatusNet } from '../subgraphs/orders/src/order/order-hour.model.js';
import { lastClosedHour, OrderHourRegistry } from '../subgraphs/orders/src/order/order-hour.registry.js';
import { countHoursByStatus } from '../subgraphs/orders/src/order/order-status-hours.js';
import { expiringAt } from '../subgraphs/users/src/auth/expiring-record.model.js';

const url = process.argv[2] ?? 'mongodb://127.0.0.1:27017';
const sizes = (process.argv.length > 3 ? process.argv.slice(3) : ['1000', '100000']).map(Number);
const PER_USER = 40;
const PENDING = 20; // pending orders at every size: what the expiry and confirmation sweeps find
const UNPUBLISHED = 5; // orders with events the outbox has not published yet, at every size
const SAMPLES = 200;
const MIN_SAMPLES = 10;
const BUDGET_MS = 15_000; // per operation and size: a slow server gets fewer samples, at least MIN_SAMPLES
const BATCH = 1_000;
const EPOCH = Date.UTC(2026, 0, 1);

interface OrderDocument {
  _id: string;
  userId: string;
  status: string;
  stockConfirmed: boolean;
  createdAt: Date;
  createdHour: number;
  totalAmount: string;
  items: { productId: string; quantity: number; unitPrice: string }[];
  shippingAddress: { street: string; city: string; zipCode: string; country: string };
  pendingEvents: { id: string; type: string }[];
  outboxPending?: true;
}

interface ExpiringDocument {
  _id: string;
  userId: string;
  expiresAt: Date;
  expiresHour: number;
}

const orderId = (i: number) => `order-${String(i).padStart(7, '0')}`;
const placedAt = (i: number) => new Date(EPOCH + (i < PENDING ? -86_400_000 + i : i * 60_000));
/**
 * From 10,000 orders on, the newest are CANCELLED: a status whose orders are all recent (a status
 * the updates below never write, as they write SHIPPED and PAID all through the history).
 */
const RECENT = 1_300;
const recent = (i: number, size: number) => size >= 10_000 && i >= size - RECENT;
const order = (i: number, size: number): OrderDocument => ({
  _id: orderId(i),
  userId: `user-${Math.floor(i / PER_USER)}`,
  status: i < PENDING ? 'PENDING' : recent(i, size) ? 'CANCELLED' : i % 3 === 0 ? 'PAID' : 'DELIVERED',
  stockConfirmed: i >= PENDING,
  createdAt: placedAt(i),
  createdHour: hourOf(placedAt(i)),
  totalAmount: '19.99',
  items: [{ productId: '11111111-1111-4111-8111-111111111111', quantity: 1, unitPrice: '19.99' }],
  shippingAddress: { street: '1 Main St', city: 'Springfield', zipCode: '62701', country: 'US' },
  pendingEvents: i >= size - UNPUBLISHED ? [{ id: `event-${i}`, type: 'order.updated' }] : [],
  ...(i >= size - UNPUBLISHED ? { outboxPending: true as const } : {}), // absent otherwise, as outboxPlugin writes it
});
const recordId = (i: number) => `record-${String(i).padStart(7, '0')}`;
const expiring = (i: number): ExpiringDocument => ({
  _id: recordId(i),
  userId: `user-${Math.floor(i / PER_USER)}`,
  ...expiringAt(new Date(EPOCH + 365 * 86_400_000 + i * 1_000)), // none expired: the purge finds nothing
});

async function fill<T extends { _id: string }>(
  collection: mongoose.mongo.Collection<T>,
  size: number,
  make: (i: number) => T,
) {
  for (let start = 0; start < size; start += BATCH) {
    const count = Math.min(BATCH, size - start);
    // biome-ignore lint/suspicious/noExplicitAny: the driver's OptionalUnlessRequiredId of a generic T
    await collection.insertMany(Array.from({ length: count }, (_, i) => make(start + i)) as any);
  }
}

const samples: number[] = [];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function time(operation: (n: number) => Promise<unknown>): Promise<number> {
  for (let n = 0; n < 3; n++) await operation(SAMPLES + n); // warm-up, on other documents than the samples
  const took: number[] = [];
  const deadline = performance.now() + BUDGET_MS;
  while (took.length < SAMPLES && (took.length < MIN_SAMPLES || performance.now() < deadline)) {
    const startedAt = performance.now();
    await operation(took.length);
    took.push(performance.now() - startedAt);
  }
  samples.push(took.length);
  return median(took);
}

/**
 * The listing hours as the orders processes register them, with each closed hour's part of every
 * status, then the first count, which records every closed hour's count once (after a backfill, or
 * this bulk load); returns its time too.
 */
async function registerHours(size: number, now: Date): Promise<{ hours: OrderHourRegistry; firstCountMs: number }> {
  const hours = new OrderHourRegistry(() => now);
  for (let hour = hourOf(placedAt(0)); hour <= hourOf(now); hour++) await hours.ensure(hourStart(hour));
  const nets = new Map<number, StatusNet>();
  for (let i = 0; i < size; i++) {
    const { createdHour, status } = order(i, size);
    if (createdHour > lastClosedHour(now)) continue;
    const net = nets.get(createdHour) ?? {};
    net[status as OrderStatus] = (net[status as OrderStatus] ?? 0) + 1;
    nets.set(createdHour, net);
  }
  const updates = [...nets].map(([hour, statusNet]) => ({
    updateOne: { filter: { _id: hour }, update: { $set: { statusNet } } },
  }));
  for (let start = 0; start < updates.length; start += MAX_UPDATES_PER_COMMAND) {
    await OrderHourModel.bulkWrite(updates.slice(start, start + MAX_UPDATES_PER_COMMAND));
  }
  const startedAt = performance.now();
  await hours.count();
  return { hours, firstCountMs: performance.now() - startedAt };
}

/**
 * An admin's page of CANCELLED orders past the oldest of them (from 10,000 orders on, 1,300 all
 * recent, so read an hour at a time): it looks for more in every hour back, until the hours are
 * counted by status (order-status-hours.ts), whose first count is timed once too. Below 10,000
 * there are none, and the page is empty.
 */
async function pastTheOldestRecent(size: number, hours: OrderHourRegistry, now: Date): Promise<Record<string, number>> {
  const oldest = recent(size - RECENT, size) ? order(size - RECENT, size) : undefined;
  const after = oldest ? encodeCursor({ c: oldest.createdAt.toISOString(), i: oldest._id }) : null;
  const page = () => hours.page({ first: 5, after }, (record) => record, OrderStatus.CANCELLED);
  const uncounted = await time(page);
  const startedAt = performance.now();
  await countHoursByStatus(hours, lastClosedHour(now));
  const firstCountMs = performance.now() - startedAt;
  return {
    "an admin's page of CANCELLED orders, all recent, past the oldest (hours not counted by status)": uncounted,
    'the first count of every closed hour by status, once (one sample)': firstCountMs,
    "an admin's page of CANCELLED orders, all recent, past the oldest (hours counted by status)": await time(page),
  };
}

async function measure(size: number): Promise<Record<string, number>> {
  const dbName = `bench_growth_${size}`;
  const connection = await mongoose.createConnection(url, { dbName }).asPromise();
  await mongoose.connect(url, { dbName, autoIndex: false });
  try {
    await connection.dropDatabase();
    const orders = connection.collection<OrderDocument>('orders');
    await orders.createIndex({ userId: 1, createdAt: -1, _id: -1 });
    await orders.createIndex({ createdHour: 1, createdAt: -1, _id: -1 });
    await orders.createIndex({ status: 1, createdAt: 1 });
    await orders.createIndex({ outboxPending: 1 });
    const records = connection.collection<ExpiringDocument>('records');
    await records.createIndex({ userId: 1 });
    await records.createIndex({ expiresAt: 1 });
    await records.createIndex({ expiresHour: 1 });
    await fill(orders, size, (i) => order(i, size));
    await fill(records, size, expiring);
    const users = Math.ceil(size / PER_USER);
    const pick = (n: number) => PENDING + ((n * 7919) % (size - PENDING - UNPUBLISHED)); // same for every size
    const cutoff = new Date(EPOCH);
    const { hours, firstCountMs } = await registerHours(size, placedAt(size - 1));
    return {
      'insertOne (create an order)': await time((n) =>
        orders.insertOne({ ...order(pick(n), size), _id: `new-${n}-${Math.random()}` }),
      ),
      'findOne by _id': await time((n) => orders.findOne({ _id: orderId(pick(n)) })),
      'find 10 by _id, one equality each, together (a DataLoader batch; findAnyOf)': await time((n) =>
        Promise.all(Array.from({ length: 10 }, (_, k) => orders.find({ _id: orderId(pick(n * 10 + k)) }).toArray())),
      ),
      "a user's newest 5, sorted": await time((n) =>
        orders
          .find({ userId: `user-${n % users}` })
          .sort({ createdAt: -1, _id: -1 })
          .limit(5)
          .toArray(),
      ),
      "count a user's orders": await time((n) => orders.countDocuments({ userId: `user-${n % users}` })),
      // An admin's listing of all orders: FerretDB 1.x pushes down no sort and no empty filter, so the
      // service reads an hour at a time by equality, newest first, and counts closed hours once.
      "an admin's newest 5 of all orders with their count (an hour at a time; OrderHourRegistry)": await time(() =>
        hours.page({ first: 5 }, (record) => record),
      ),
      'count all orders (closed hours recorded; OrderHourRegistry)': await time(() => hours.count()),
      'the first count after the load, once (records every closed hour; one sample)': firstCountMs,
      'updateOne by _id': await time((n) =>
        orders.updateOne({ _id: orderId(pick(n)) }, { $set: { status: n % 2 ? 'SHIPPED' : 'PAID' } }),
      ),
      'conditional findOneAndUpdate {_id, status}': await time((n) =>
        orders.findOneAndUpdate(
          { _id: orderId(pick(n)), status: { $in: ['PAID', 'SHIPPED'] } },
          { $set: { status: n % 2 ? 'SHIPPED' : 'PAID' } },
        ),
      ),
      'expiry sweep {status, createdAt ≤}': await time(() =>
        orders
          .find({ status: 'PENDING', createdAt: { $lte: cutoff } })
          .limit(100)
          .toArray(),
      ),
      'confirmation sweep {status, stockConfirmed}': await time(() =>
        orders.find({ status: 'PENDING', stockConfirmed: false }).limit(100).toArray(),
      ),
      'outbox sweep {outboxPending: true}': await time(() =>
        orders.find({ outboxPending: true }).project({ pendingEvents: 1 }).limit(100).toArray(),
      ),
      'exists by _id (processed event)': await time((n) => records.findOne({ _id: recordId(pick(n)) })),
      'claim by unique insert': await time((n) =>
        records.insertOne({ ...expiring(0), _id: `claim-${size}-${n}-${Math.random()}` }),
      ),
      "find a user's records by userId": await time((n) => records.find({ userId: `user-${n % users}` }).toArray()),
      'purge, an hour ended and the current one (none due; ExpiredRecordsPurge)': await time(async () => {
        const hour = hourOf(cutoff);
        await records.deleteMany({ expiresHour: hour - 1 });
        await records.deleteMany({ expiresHour: hour, expiresAt: { $lt: cutoff } });
      }),
      // Filtered by a status a third of all orders have: counted by the hours, read an hour at a time.
      "an admin's newest 5 PAID orders with their count (by hour beyond 1,000; OrderHourRegistry)": await time(() =>
        hours.page({ first: 5 }, (record) => record, OrderStatus.PAID),
      ),
      'count PAID orders (closed hours recorded; OrderHourRegistry)': await time(() =>
        hours.countWithStatus(OrderStatus.PAID),
      ),
      ...(await pastTheOldestRecent(size, hours, placedAt(size - 1))),
    };
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
    await mongoose.disconnect();
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
