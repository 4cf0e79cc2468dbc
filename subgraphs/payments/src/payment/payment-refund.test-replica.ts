// Test support: one payments replica in its own process handling one cancellation (order.updated
// → CANCELLED) against the test's database, so the replicas test races real processes (the
// per-process document lock cannot help them). Prints how many payments this replica refunded,
// or `busy` when another replica held the refund's claim (the bus would retry the event).
import { ClaimBusyError } from '@shop/platform/mongo';
import { offlineOutbox, replicaFinish, replicaStart, silentLogger } from '@shop/platform/testing';
import { OrdersClient } from '../order/order.client.js';
import { PaymentService } from './payment.service.js';
import { SimulatedPaymentProvider } from './simulated-payment.provider.js';

// A slow provider: each replica is still refunding when the others look at the payment.
const provider = new SimulatedPaymentProvider({ answerDelayMs: 300 });
const payments = new PaymentService(new OrdersClient('http://127.0.0.1:9/graphql'), provider, offlineOutbox);
await replicaStart();
let outcome: number | 'busy';
try {
  outcome = await payments.refundCancelledOrder(
    { requestId: `replica-${process.pid}`, log: silentLogger },
    process.env.ORDER_ID ?? '',
  );
} catch (error) {
  if (!(error instanceof ClaimBusyError)) throw error;
  outcome = 'busy';
}
await replicaFinish(outcome);
