import { EventBus } from '@shop/events';
import { createLogger, createTokenService, loadConfig, onShutdown } from '@shop/platform/core';
import { subgraphRevocation } from '@shop/platform/http';
import { startSubgraph } from '@shop/platform/subgraph';
import { productsConfig } from './config.js';
import { PostgresOutboxRelay } from './outbox/outbox.relay.js';
import { createProductsDb } from './product/product.model.js';
import { ProductService } from './product/product.service.js';
import { productsSubgraph } from './schema.js';
import { StockService } from './stock/stock.service.js';
import { StockExpiryJob } from './stock/stock-expiry.job.js';

const config = loadConfig(productsConfig);
const log = createLogger('products', config);
const postgres = createProductsDb(config.DATABASE_URL);
const tokens = createTokenService(config);
const { AMQP_URL: url, AMQP_EXCHANGE: exchange, AMQP_EXCHANGE_PROVISIONED: exchangeProvisioned } = config;
const bus = new EventBus({ url, exchange, exchangeProvisioned, log, connectionName: 'products' });
const relay = new PostgresOutboxRelay(postgres.db, bus, log);
const stock = new StockService(postgres.db, relay, { reservationTtlMs: config.STOCK_RESERVATION_TTL });
const expiry = new StockExpiryJob(stock, log, config.STOCK_RESERVATION_SWEEP_INTERVAL);
const server = await startSubgraph({
  definition: productsSubgraph,
  config,
  port: config.PRODUCTS_PORT,
  services: { products: new ProductService(postgres.db, relay), stock },
  tokens,
  revocation: subgraphRevocation(config, tokens, 'products'),
  log,
  // Not the broker: the catalogue stays readable without it, and the outbox keeps events until it is back.
  readiness: [postgres.readiness],
});
relay.start();
expiry.start();
onShutdown(log, [[server.close, () => expiry.stop()], () => relay.stop(), () => bus.close(), postgres.close]);
