import { wholeNumber } from '@shop/platform/core';
import { z } from 'zod';
import {
  expectedInventory,
  inventoryChange,
  moneyInput,
  notWith,
  onlyWith,
  productCategory,
  productDescription,
  productImages,
  productInventory,
  productName,
  productPurchaseLimit,
  queryMoney,
  searchText,
  someOf,
} from './rest-inputs.js';
import { defineRoute, type RestRoute } from './rest-route.js';
import { type GraphqlProduct, idParams, PRODUCT_FIELDS, productSchema, toRestProduct } from './rest-shapes.js';

const PRODUCTS = `query RestProducts($filter: ProductFilter, $first: Int, $offset: Int) {
  products(filter: $filter, first: $first, offset: $offset) { totalCount edges { node { ${PRODUCT_FIELDS} } } }
}`;
const CREATE_PRODUCT = `mutation RestCreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { ${PRODUCT_FIELDS} }
}`;
const UPDATE_PRODUCT = `mutation RestUpdateProduct($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) { ${PRODUCT_FIELDS} }
}`;

const MAX_LIMIT = 100;
const MAX_OFFSET = 10_000;

const listQuery = z
  .object({
    category: productCategory.optional(),
    minPrice: queryMoney.optional(),
    maxPrice: queryMoney.optional(),
    search: searchText.optional(),
    inStock: z
      .enum(['true', 'false'])
      .transform((value) => value === 'true')
      .optional(),
    limit: wholeNumber(20, { max: MAX_LIMIT }),
    offset: wholeNumber(0, { min: 0, max: MAX_OFFSET }),
  })
  // Here, so that the refusal names the parameter the caller sent (the subgraph's names filter.maxPrice).
  .refine((query) => !query.minPrice || !query.maxPrice || Number(query.minPrice) <= Number(query.maxPrice), {
    path: ['maxPrice'],
    message: 'must not be less than minPrice',
  });

const productFields = {
  name: productName,
  description: productDescription,
  price: moneyInput,
  category: productCategory,
  inventory: productInventory,
  images: productImages,
  purchaseLimit: productPurchaseLimit,
};
const createBody = z
  .object({
    ...productFields,
    description: productFields.description.optional(),
    inventory: productFields.inventory.optional(),
    images: productFields.images.optional(),
    purchaseLimit: productFields.purchaseLimit.optional(),
  })
  .meta({ id: 'CreateProductBody' });
const patchBody = someOf({ ...productFields, expectedInventory, inventoryChange }, 'PatchProductBody', [
  notWith('inventoryChange', 'inventory'),
  onlyWith('expectedInventory', 'inventory'),
]);

const productListSchema = z
  .object({
    products: z.array(productSchema),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: 'ProductList' });

/** `/api/products`: the catalog with limit/offset, and admin writes. */
export const productsRoutes: RestRoute[] = [
  defineRoute({
    method: 'get',
    path: '/products',
    operationId: 'listProducts',
    summary: 'Search the catalog, newest first',
    tag: 'products',
    access: 'public',
    query: listQuery,
    response: { status: 200, description: 'One page of products and the total', schema: productListSchema },
    errors: [400],
    handle: async ({ query }, run) => {
      const { limit, offset, ...filter } = query;
      const data = await run<{ products: { totalCount: number; edges: { node: GraphqlProduct }[] } }>({
        query: PRODUCTS,
        variables: { filter, first: limit, offset },
      });
      const products = data.products.edges.map((edge) => toRestProduct(edge.node));
      return { status: 200, body: { products, total: data.products.totalCount, limit, offset } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/products',
    operationId: 'createProduct',
    summary: 'Add a product (admin)',
    tag: 'products',
    access: 'admin',
    body: createBody,
    response: { status: 201, description: 'The new product', schema: productSchema },
    errors: [400, 401, 403],
    handle: async ({ body }, run) => {
      const data = await run<{ createProduct: GraphqlProduct }>({ query: CREATE_PRODUCT, variables: { input: body } });
      return { status: 201, body: toRestProduct(data.createProduct) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/products/{id}',
    operationId: 'updateProduct',
    summary: 'Change some fields of a product (admin)',
    tag: 'products',
    access: 'admin',
    params: idParams,
    body: patchBody,
    response: { status: 200, description: 'The product as changed', schema: productSchema },
    errors: [400, 401, 403, 404, 409],
    handle: async ({ params, body }, run) => {
      const data = await run<{ updateProduct: GraphqlProduct }>({
        query: UPDATE_PRODUCT,
        variables: { id: params.id, input: body },
      });
      return { status: 200, body: toRestProduct(data.updateProduct) };
    },
  }),
];
