// Test support: one payments replica in its own process handling one cancellation (order.updated
// → CANCELLED) against the test's database, so the replicas test races real processes (the
// per-process document lock cannot help them). Prints how many payments this replica refunded,
// or `busy` when another replica held the refund's claim (the bus would retry the event).
import { ClaimBusyError } from '@shop/platform';
import { silentLogger } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { OrdersClient } from '../order/order.client.js';
import { PaymentService } from './payment.service.js';
import { SimulatedPaymentProvider } from './simulated-payment.provider.js';

const { MONGO_URL, REPLICA_DB, ORDER_ID, START_AT } = process.env;
await mongoose.connect(MONGO_URL ?? 'mongodb://127.0.0.1:27017', { dbName: REPLICA_DB });
// A slow provider: each replica is still refunding when the others look at the payment.
const provider = new SimulatedPaymentProvider({ answerDelayMs: 300 });
const payments = new PaymentService(new OrdersClient('http://127.0.0.1:9/graphql'), provider, { kick: () => {} });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(START_AT) - Date.now())));
let outcome: number | 'busy';
try {
  outcome = await payments.refundCancelledOrder(
    { requestId: `replica-${process.pid}`, log: silentLogger },
    ORDER_ID ?? '',
  );
} catch (error) {
  if (!(error instanceof ClaimBusyError)) throw error;
  outcome = 'busy';
}
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await mongoose.disconnect();
