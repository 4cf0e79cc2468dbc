// Test support: one orders replica in its own process, running a single expiry sweep against the
// test's database, so the replicas test races real processes (the per-process document lock
// cannot help them). Prints the ids this replica expired as JSON.
import { replicaFinish, replicaStart, silentLogger } from '@shop/platform/testing';
import { PaymentsClient } from '../payment/payments.client.js';
import { ProductsClient } from '../product/products.client.js';
import { OrderService } from './order.service.js';
import { tokens } from './order.test-fixture.js';

const { PRODUCTS_URL, PAYMENTS_URL, CUTOFF } = process.env;
const peers = {
  products: new ProductsClient(PRODUCTS_URL ?? '', tokens),
  payments: new PaymentsClient(PAYMENTS_URL ?? '', tokens),
};
const orders = new OrderService(peers, { kick: () => {} });
// Every replica starts its sweep at the same instant, so their writes interleave.
await replicaStart();
const { expired } = await orders.expiry.sweepUnpaid(
  { requestId: `replica-${process.pid}`, log: silentLogger },
  new Date(Number(CUTOFF)),
);
await replicaFinish(expired);
