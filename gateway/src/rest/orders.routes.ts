import { orderStatusSchema } from '@shop/events';
import { NotFoundError } from '@shop/platform/core';
import { z } from 'zod';
import { idempotencyKey, orderLines, shippingAddress } from './rest-inputs.js';
import { defineRoute, type RestRoute } from './rest-route.js';
import { type GraphqlOrder, idParams, ORDER_FIELDS, orderSchema, toRestOrder } from './rest-shapes.js';

// The attempt, not createOrder: it says whether the key was replayed (200) or the order is new (201).
const CREATE_ORDER = `mutation RestCreateOrder($input: CreateOrderInput!) {
  createOrderAttempt(input: $input) { replayed order { ${ORDER_FIELDS} } }
}`;
const ORDER = `query RestOrder($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const UPDATE_ORDER_STATUS = `mutation RestUpdateOrderStatus($id: ID!, $status: OrderStatus!) {
  updateOrderStatus(id: $id, status: $status) { ${ORDER_FIELDS} }
}`;

const createBody = z
  .object({
    items: orderLines,
    shippingAddress,
  })
  .meta({ id: 'CreateOrderBody' });
const createHeaders = z.object({
  'idempotency-key': idempotencyKey.optional().meta({
    description:
      'Optional. Sent again with the same body, returns the order the first request placed and reserves nothing',
  }),
});
const patchBody = z.object({ status: orderStatusSchema }).meta({ id: 'PatchOrderBody' });

/** `/api/orders`: place, read and move orders; the orders subgraph owns the life cycle. */
export const ordersRoutes: RestRoute[] = [
  defineRoute({
    method: 'post',
    path: '/orders',
    operationId: 'createOrder',
    summary: 'Place an order (stock is reserved, prices captured)',
    tag: 'orders',
    access: 'user',
    headers: createHeaders,
    body: createBody,
    response: {
      status: 201,
      alsoStatus: [200],
      description: 'The new PENDING order (201), or the order placed earlier with this idempotency key (200, a replay)',
      schema: orderSchema,
    },
    errors: [400, 401, 404, 409],
    handle: async ({ body, headers }, run) => {
      const key = headers['idempotency-key'];
      const input = { ...body, ...(key !== undefined && { idempotencyKey: key }) };
      const data = await run<{ createOrderAttempt: { replayed: boolean; order: GraphqlOrder } }>({
        query: CREATE_ORDER,
        variables: { input },
      });
      const { replayed, order } = data.createOrderAttempt;
      return { status: replayed ? 200 : 201, body: toRestOrder(order) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/orders/{id}',
    operationId: 'getOrder',
    summary: 'One order: your own, or any for an admin',
    tag: 'orders',
    access: 'user',
    params: idParams,
    response: { status: 200, description: 'The order', schema: orderSchema },
    errors: [400, 401, 403, 404],
    handle: async ({ params }, run) => {
      const data = await run<{ order: GraphqlOrder | null }>({ query: ORDER, variables: { id: params.id } });
      if (!data.order) throw new NotFoundError('Order', params.id);
      return { status: 200, body: toRestOrder(data.order) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/orders/{id}',
    operationId: 'updateOrderStatus',
    summary: 'Move an order: the owner or an admin cancels a PENDING order, an admin ships and delivers',
    tag: 'orders',
    access: 'user',
    params: idParams,
    body: patchBody,
    response: { status: 200, description: 'The order in its new status', schema: orderSchema },
    errors: [400, 401, 403, 404, 409],
    handle: async ({ params, body }, run) => {
      const data = await run<{ updateOrderStatus: GraphqlOrder }>({
        query: UPDATE_ORDER_STATUS,
        variables: { id: params.id, status: body.status },
      });
      return { status: 200, body: toRestOrder(data.updateOrderStatus) };
    },
  }),
];
