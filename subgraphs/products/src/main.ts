import { createLogger, createTokenService, loadConfig, onShutdown, startSubgraph } from '@shop/platform';
import { productsConfig } from './config.js';
import { createProductsDb } from './product/product.model.js';
import { ProductService } from './product/product.service.js';
import { productsSubgraph } from './schema.js';
import { StockService } from './stock/stock.service.js';

const config = loadConfig(productsConfig);
const log = createLogger('products', config);
const postgres = createProductsDb(config.DATABASE_URL);
const tokens = createTokenService(config);
const server = await startSubgraph({
  definition: productsSubgraph,
  port: config.PRODUCTS_PORT,
  services: { products: new ProductService(postgres.db), stock: new StockService(postgres.db) },
  tokens,
  log,
  readiness: [postgres.readiness],
});
onShutdown(log, [server.close, postgres.close]);
