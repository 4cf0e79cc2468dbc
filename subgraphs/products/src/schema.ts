import type { SubgraphDefinition } from '@shop/platform/subgraph';
import { CACHE_CONTROL_SDL } from './cache-control.js';
import { productReference } from './product/product.reference.js';
import { ProductResolver } from './product/product.resolver.js';
import { StockResolver } from './stock/stock.resolver.js';

export const productsSubgraph: SubgraphDefinition = {
  name: 'products',
  resolvers: [ProductResolver, StockResolver],
  references: { Product: productReference },
  extraSdl: CACHE_CONTROL_SDL,
};
