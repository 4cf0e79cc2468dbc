import { EventBus, retryPolicyFrom } from '@shop/events';
import { createLogger, createTokenService, loadConfig, onShutdown } from '@shop/platform/core';
import { subgraphRevocation } from '@shop/platform/http';
import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { startSubgraph } from '@shop/platform/subgraph';
import { paymentsConfig } from './config.js';
import { subscribeToOrders } from './events.js';
import { OrdersClient } from './order/order.client.js';
import { watchPendingPayments } from './payment/payment.metrics.js';
import { PaymentModel } from './payment/payment.model.js';
import { PaymentService } from './payment/payment.service.js';
import { PaymentReconcileJob } from './payment/payment-reconcile.job.js';
import { createPaymentProvider } from './provider.js';
import { paymentsSubgraph } from './schema.js';

const config = loadConfig(paymentsConfig);
const log = createLogger('payments', config);
const mongo = await connectMongo(config, 'payments', log);
const { AMQP_URL: url, AMQP_EXCHANGE: exchange, AMQP_EXCHANGE_PROVISIONED: exchangeProvisioned } = config;
const bus = new EventBus({
  url,
  exchange,
  exchangeProvisioned,
  log,
  connectionName: 'payments',
  retry: retryPolicyFrom(config),
});
const relay = new OutboxRelay([PaymentModel], bus, log);
relay.start();
const tokens = createTokenService(config);
const grace = config.PAYMENT_RECONCILE_GRACE;
const payments = new PaymentService(new OrdersClient(config.ORDERS_URL), createPaymentProvider(config), relay, grace);
const reconciliation = new PaymentReconcileJob(payments, log, config.PAYMENT_RECONCILE_INTERVAL);
watchPendingPayments(grace);
await subscribeToOrders(bus, payments, log);
reconciliation.start();
const server = await startSubgraph({
  definition: paymentsSubgraph,
  config,
  port: config.PAYMENTS_PORT,
  services: { payments },
  tokens,
  revocation: subgraphRevocation(config, tokens, 'payments'),
  log,
  readiness: [mongo.readiness, bus.readiness],
});
onShutdown(log, [
  [server.close, () => bus.stopConsuming(), () => reconciliation.stop()],
  () => relay.stop(),
  () => bus.close(),
  mongo.close,
]);
