import type { RequestContext } from '@shop/platform/subgraph';
import type { ProductsServices } from '../services.js';
import type { Product } from './product.type.js';

/**
 * Products are public, so other subgraphs' references resolve for any caller. findById batches:
 * all the references of one `_entities` fetch are read in one query.
 */
export const productReference = {
  __resolveReference: (reference: { id: string }, ctx: RequestContext<ProductsServices>): Promise<Product> =>
    ctx.services.products.findById(ctx, reference.id),
};
