// `npx tsx --conditions=source bench/outbox-backlog.ts [mongodb url] [documents]`: what one scrape of
// `outbox_pending_events` costs while the broker is away and the outbox grows: the documents (each
// an aggregate with two waiting events of an order's size) are written to a database of its own
// (dropped at the end), then the gauge's count (`pendingEventCount`, counted by the server over at
// most 10,000 documents) and the read it replaced (every waiting document's events into Node, summed
// there) are each timed 5 times, alternately. Prints the median of each and their ratio.
import { loadavg } from 'node:os';
import { orderCreated } from '@shop/events';
import { pendingEventCount } from '@shop/platform/mongo';
import mongoose from 'mongoose';

const url = process.argv[2] ?? 'mongodb://127.0.0.1:27017';
const documents = Number(process.argv[3] ?? 20_000);
const RUNS = 5;

const event = (orderId: string) =>
  orderCreated.create({
    orderId,
    userId: 'bench-user',
    totalAmount: '59.97',
    items: [1, 2, 3].map((n) => ({ productId: `00000000-0000-4000-8000-00000000000${n}`, quantity: n, price: '9.99' })),
  });

// The fields and index of an aggregate's outbox (outboxPlugin), without the rest of a service's model.
const backlogSchema = new mongoose.Schema(
  { _id: String, outboxPending: Boolean, pendingEvents: [mongoose.Schema.Types.Mixed] },
  { collection: 'backlog' },
);
backlogSchema.index({ outboxPending: 1 });
const Backlog = mongoose.model('Backlog', backlogSchema);

/** The read the gauge made before: every waiting document's events into Node, summed there. */
async function readIntoNode(): Promise<number> {
  const rows = await Backlog.find({ outboxPending: true })
    .select({ pendingEvents: 1 })
    .lean<{ pendingEvents: unknown[] }[]>();
  return rows.reduce((sum, row) => sum + row.pendingEvents.length, 0);
}

async function timed(read: () => Promise<number>): Promise<{ ms: number; events: number }> {
  const startedAt = performance.now();
  const events = await read();
  return { ms: performance.now() - startedAt, events };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

console.log(`# outbox backlog scrape: ${url}, ${documents} documents; load average before: ${loadavg().join(' ')}`);
await mongoose.connect(url, { dbName: 'bench_outbox_backlog' });
try {
  await Backlog.deleteMany({});
  for (let start = 0; start < documents; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, documents - start) }, (_, i) => ({
      _id: `a-${start + i}`,
      outboxPending: true,
      pendingEvents: [event(`o-${start + i}`), event(`o-${start + i}-b`)],
    }));
    await Backlog.collection.insertMany(batch as never[]);
  }
  await Backlog.syncIndexes();

  const before: { ms: number; events: number }[] = [];
  const now: { ms: number; events: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    before.push(await timed(readIntoNode));
    now.push(await timed(() => pendingEventCount(Backlog)));
  }
  const [b, n] = [median(before.map((r) => r.ms)), median(now.map((r) => r.ms))];
  console.log(`every waiting document read into Node (before): median ${b.toFixed(0)} ms, ${before[0]?.events} events`);
  console.log(
    `counted by the server, at most 10,000 documents (now): median ${n.toFixed(0)} ms, ${now[0]?.events} events`,
  );
  console.log(`ratio before / now: ${(b / n).toFixed(1)}; load average after: ${loadavg().join(' ')}`);
} finally {
  await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
}
