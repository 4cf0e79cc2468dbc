import { runSubgraph } from '@shop/platform/subgraph';
import { productsConfig } from './config.js';
import { subscribeToPayments } from './events.js';
import { PostgresOutboxRelay } from './outbox/outbox.relay.js';
import { createProductsDb } from './product/product.model.js';
import { ProductService } from './product/product.service.js';
import { productsSubgraph } from './schema.js';
import { reportStockGauges } from './stock/stock.metrics.js';
import { StockService } from './stock/stock.service.js';
import { StockExpiryJob } from './stock/stock-expiry.job.js';

await runSubgraph({
  config: productsConfig,
  port: (config) => config.PRODUCTS_PORT,
  definition: productsSubgraph,
  database: (config) => createProductsDb(config.DATABASE_URL, config),
  // Readiness without the broker: the catalogue stays readable, the outbox keeps events until it is
  // back, and payment.succeeded waits in products' queue (the unpaid-order count only lags behind).
  events: true,
  wire: async ({ config, log, database: { db }, bus }) => {
    const relay = new PostgresOutboxRelay(db, bus, log);
    const stock = new StockService(db, relay, {
      reservationTtlMs: config.STOCK_RESERVATION_TTL,
      unpaidOrdersPerCustomer: config.UNPAID_ORDERS_PER_CUSTOMER,
      unpaidWindowMs: config.UNPAID_ORDERS_WINDOW,
    });
    await subscribeToPayments(bus, stock);
    const expiry = new StockExpiryJob(stock, log, config.STOCK_RESERVATION_SWEEP_INTERVAL);
    reportStockGauges(stock, config.STOCK_RESERVATION_SWEEP_INTERVAL);
    return { services: { products: new ProductService(db, relay), stock }, relay, jobs: [expiry] };
  },
});
