// Test support: one orders replica in its own process, running a single expiry sweep against the
// test's database, so the replicas test races real processes (the per-process document lock
// cannot help them). Prints the ids this replica expired as JSON.
import { silentLogger } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { ProductsClient } from '../product/products.client.js';
import { OrderService } from './order.service.js';
import { tokens } from './order.test-fixture.js';

const { MONGO_URL, REPLICA_DB, PRODUCTS_URL, CUTOFF, START_AT } = process.env;
await mongoose.connect(MONGO_URL ?? 'mongodb://127.0.0.1:27017', { dbName: REPLICA_DB });
const orders = new OrderService(new ProductsClient(PRODUCTS_URL ?? '', tokens), { kick: () => {} });
// Every replica starts its sweep at the same instant, so their writes interleave.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(START_AT) - Date.now())));
const { expired } = await orders.sweepUnpaid(
  { requestId: `replica-${process.pid}`, log: silentLogger },
  new Date(Number(CUTOFF)),
);
process.stdout.write(`${JSON.stringify(expired)}\n`);
await mongoose.disconnect();
