// `pnpm outbox:backfill`: once, after upgrading from a release whose outboxes had no
// `outboxPending` flag. Raises it on every order and payment that still holds events, so the
// relays' sweep publishes them (raiseMissedOutboxFlags). Safe to repeat and to run while the
// services are up. MONGO_URL and MONGO_DB_PREFIX as the services have them.
import { raiseMissedOutboxFlags } from '@shop/platform/mongo';
import mongoose from 'mongoose';

/** The outboxes: each service's database (`<prefix>_<service>`) and its aggregate collection. */
const OUTBOXES = [
  { service: 'orders', collection: 'orders' },
  { service: 'payments', collection: 'payments' },
];

const url = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const prefix = process.env.MONGO_DB_PREFIX ?? 'shop';
const client = await mongoose.mongo.MongoClient.connect(url, { serverSelectionTimeoutMS: 5_000 });
try {
  for (const { service, collection } of OUTBOXES) {
    const database = `${prefix}_${service}`;
    const raised = await raiseMissedOutboxFlags(client.db(database).collection(collection));
    process.stdout.write(`outbox:backfill: ${database}.${collection}: ${raised} documents flagged\n`);
  }
} finally {
  await client.close();
}
