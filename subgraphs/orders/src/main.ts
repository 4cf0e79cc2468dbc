import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { runSubgraph } from '@shop/platform/subgraph';
import { ordersConfig } from './config.js';
import { subscribeToAccounts, subscribeToPayments } from './events.js';
import { reportOrderGauges } from './order/order.metrics.js';
import { OrderModel } from './order/order.model.js';
import { OrderService } from './order/order.service.js';
import { OrderExpiryJob } from './order/order-expiry.job.js';
import { OrderHoursJob } from './order/order-hour.job.js';
import { OrderHourRegistry } from './order/order-hour.registry.js';
import { PaymentsClient } from './payment/payments.client.js';
import { ProductsClient } from './product/products.client.js';
import { ordersSubgraph } from './schema.js';

await runSubgraph({
  config: ordersConfig,
  port: (config) => config.ORDERS_PORT,
  definition: ordersSubgraph,
  database: (config, log) => connectMongo(config, 'orders', log),
  events: true,
  wire: async ({ config, log, tokens, bus }) => {
    const relay = new OutboxRelay([OrderModel], bus, log);
    const hours = new OrderHourRegistry();
    await hours.backfill(log);
    const peers = {
      products: new ProductsClient(config.PRODUCTS_URL, tokens),
      payments: new PaymentsClient(config.PAYMENTS_URL, tokens),
    };
    const orders = new OrderService(peers, relay, hours, config.ORDER_PAYMENT_TIMEOUT);
    await subscribeToPayments(bus, orders);
    await subscribeToAccounts(bus, orders, log);
    reportOrderGauges();
    return {
      services: { orders },
      relay,
      jobs: [new OrderExpiryJob(orders.expiry, config, log), new OrderHoursJob(hours, log)],
    };
  },
});
