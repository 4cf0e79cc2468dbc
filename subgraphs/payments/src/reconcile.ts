// `pnpm payments:reconcile`: one reconciliation pass by hand, with the service's configuration.
// Settlements are written with their events into the payments outbox; a running payments
// process's relay publishes them.
import { connectMongo, createLogger, loadConfig } from '@shop/platform';
import { paymentsConfig } from './config.js';
import { OrdersClient } from './order/order.client.js';
import { PaymentService } from './payment/payment.service.js';
import { createPaymentProvider } from './provider.js';

const config = loadConfig(paymentsConfig);
const log = createLogger('payments-reconcile', config);
const mongo = await connectMongo(config, 'payments', log);
const payments = new PaymentService(
  new OrdersClient(config.ORDERS_URL),
  createPaymentProvider(config),
  { kick: () => {} },
  config.PAYMENT_RECONCILE_GRACE,
);
const result = await payments.reconcile({ requestId: 'manual-reconcile', log });
for (const { paymentId, orderId, status } of result.settled) {
  process.stdout.write(`${paymentId}  order ${orderId}  PENDING → ${status}\n`);
}
process.stdout.write(
  `reconciled ${result.settled.length} payment(s) pending longer than ${config.PAYMENT_RECONCILE_GRACE} ms; ${result.failed} left for the next pass\n`,
);
await mongo.close();
process.exitCode = result.failed > 0 ? 1 : 0;
