// `npx tsx bench/mongo-operations.ts <mongodb url> [concurrency]`: the MongoDB-wire server's rate
// for the operation kinds the services use (insert with an outbox event, conditional `$set` +
// `$push`, `findOneAndUpdate`, `findOne` by `_id`, `$pull`), 1,000 of each, on a collection with
// the orders indexes, in a database of its own (dropped at the end). Compares FerretDB handlers.
import mongoose from 'mongoose';

const url = process.argv[2] ?? 'mongodb://127.0.0.1:27017';
const concurrency = Number(process.argv[3] ?? 50);
const COUNT = 1_000;

const connection = await mongoose
  .createConnection(url, { dbName: 'bench_mongo_operations', maxPoolSize: 100 })
  .asPromise();
interface OrderDocument {
  _id: string;
  userId: string;
  status: string;
  createdAt: Date;
  items: { productId: string; quantity: number; priceCents: number }[];
  pendingEvents: { id: string; type?: string; data?: unknown }[];
}
const orders = connection.collection<OrderDocument>('orders');
try {
  await orders.drop().catch(() => undefined);
  await orders.createIndex({ userId: 1, createdAt: -1, _id: -1 });
  await orders.createIndex({ status: 1, createdAt: 1 });

  const measure = async (name: string, operation: (i: number) => Promise<unknown>) => {
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < COUNT) await operation(next++);
      }),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    console.log(`${name}: ${(COUNT / seconds).toFixed(0)} operations/s`);
  };

  console.log(`# ${url}, concurrency ${concurrency}, ${COUNT} of each`);
  await measure('insertOne', (i) =>
    orders.insertOne({
      _id: `order-${i}`,
      userId: `user-${i % 20}`,
      status: 'PENDING',
      createdAt: new Date(),
      items: [{ productId: 'product', quantity: 1, priceCents: 100 }],
      pendingEvents: [{ id: `created-${i}`, type: 'order.created', data: { orderId: `order-${i}` } }],
    }),
  );
  await measure('updateOne $set + $push', (i) =>
    orders.updateOne(
      { _id: `order-${i}`, status: 'PENDING' },
      { $set: { status: 'PAID' }, $push: { pendingEvents: { id: `updated-${i}` } } },
    ),
  );
  await measure('findOneAndUpdate', (i) =>
    orders.findOneAndUpdate({ _id: `order-${i}` }, { $set: { status: 'SHIPPED' } }, { returnDocument: 'after' }),
  );
  await measure('findOne by _id', (i) => orders.findOne({ _id: `order-${i}` }));
  await measure('$pull', (i) =>
    orders.updateOne({ _id: `order-${i}` }, { $pull: { pendingEvents: { id: `updated-${i}` } } }),
  );
} finally {
  await connection.dropDatabase();
  await connection.close();
}
