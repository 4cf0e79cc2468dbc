import { EventBus, retryPolicyFrom } from '@shop/events';
import { createLogger, createTokenService, loadConfig, onShutdown } from '@shop/platform/core';
import { subgraphRevocation } from '@shop/platform/http';
import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { startSubgraph } from '@shop/platform/subgraph';
import { ordersConfig } from './config.js';
import { subscribeToPayments } from './events.js';
import { OrderModel } from './order/order.model.js';
import { OrderService } from './order/order.service.js';
import { OrderExpiryJob } from './order/order-expiry.job.js';
import { ProductsClient } from './product/products.client.js';
import { ordersSubgraph } from './schema.js';

const config = loadConfig(ordersConfig);
const log = createLogger('orders', config);
const mongo = await connectMongo(config, 'orders', log);
const { AMQP_URL: url, AMQP_EXCHANGE: exchange, AMQP_EXCHANGE_PROVISIONED: exchangeProvisioned } = config;
const bus = new EventBus({
  url,
  exchange,
  exchangeProvisioned,
  log,
  connectionName: 'orders',
  retry: retryPolicyFrom(config),
});
const tokens = createTokenService(config);
const relay = new OutboxRelay([OrderModel], bus, log);
const orders = new OrderService(new ProductsClient(config.PRODUCTS_URL, tokens), relay);
const expiry = new OrderExpiryJob(orders, config, log);
await subscribeToPayments(bus, orders);
relay.start();
expiry.start();
const server = await startSubgraph({
  definition: ordersSubgraph,
  config,
  port: config.ORDERS_PORT,
  services: { orders },
  tokens,
  revocation: subgraphRevocation(config, tokens, 'orders'),
  log,
  readiness: [mongo.readiness, bus.readiness],
});
// Requests, deliveries and the expiry sweep stop and drain together; then the relay, the broker, MongoDB.
onShutdown(log, [
  [server.close, () => bus.stopConsuming(), () => expiry.stop()],
  () => relay.stop(),
  () => bus.close(),
  mongo.close,
]);
