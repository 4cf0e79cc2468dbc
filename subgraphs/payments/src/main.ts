import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { runSubgraph } from '@shop/platform/subgraph';
import { paymentsConfig } from './config.js';
import { subscribeToOrders } from './events.js';
import { OrdersClient } from './order/order.client.js';
import { reportPaymentGauges } from './payment/payment.metrics.js';
import { PaymentModel } from './payment/payment.model.js';
import { PaymentService } from './payment/payment.service.js';
import { PaymentReconcileJob } from './payment/payment-reconcile.job.js';
import { createPaymentProvider } from './provider.js';
import { paymentsSubgraph } from './schema.js';

await runSubgraph({
  config: paymentsConfig,
  port: (config) => config.PAYMENTS_PORT,
  definition: paymentsSubgraph,
  database: (config, log) => connectMongo(config, 'payments', log),
  events: true,
  wire: async ({ config, log, bus }) => {
    const relay = new OutboxRelay([PaymentModel], bus, log);
    const grace = config.PAYMENT_RECONCILE_GRACE;
    const provider = createPaymentProvider(config);
    const limits = { reconcileGraceMs: grace, failuresPerOrder: config.PAYMENT_FAILURES_PER_ORDER };
    const payments = new PaymentService(new OrdersClient(config.ORDERS_URL), provider, relay, limits);
    reportPaymentGauges(grace);
    await subscribeToOrders(bus, payments, log);
    const reconciliation = new PaymentReconcileJob(payments, log, config.PAYMENT_RECONCILE_INTERVAL);
    return { services: { payments }, relay, jobs: [reconciliation] };
  },
});
