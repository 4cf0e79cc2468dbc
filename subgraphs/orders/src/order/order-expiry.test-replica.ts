// Test support: one orders replica in its own process, running a single expiry sweep against the
// test's database, so the replicas test races real processes (the per-process document lock
// cannot help them). Prints the ids this replica expired as JSON.
import { replicaFinish, replicaStart, silentLogger } from '@shop/platform/testing';
import { ProductsClient } from '../product/products.client.js';
import { OrderService } from './order.service.js';
import { tokens } from './order.test-fixture.js';

const { PRODUCTS_URL, CUTOFF } = process.env;
const orders = new OrderService(new ProductsClient(PRODUCTS_URL ?? '', tokens), { kick: () => {} });
// Every replica starts its sweep at the same instant, so their writes interleave.
await replicaStart();
const { expired } = await orders.sweepUnpaid(
  { requestId: `replica-${process.pid}`, log: silentLogger },
  new Date(Number(CUTOFF)),
);
await replicaFinish(expired);
