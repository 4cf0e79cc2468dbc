import { NotFoundError } from '@shop/platform/core';
import { z } from 'zod';
import { defineRoute, type RestRoute } from './rest-route.js';
import { type GraphqlPayment, idParams, PAYMENT_FIELDS, paymentSchema, toRestPayment } from './rest-shapes.js';

// The attempt, not processPayment: it says whether the key was replayed (200) or the charge is new (201).
const PROCESS_PAYMENT = `mutation RestProcessPayment($input: ProcessPaymentInput!) {
  processPaymentAttempt(input: $input) { replayed payment { ${PAYMENT_FIELDS} } }
}`;
const PAYMENT = `query RestPayment($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`;

const createBody = z
  .object({ orderId: z.string().min(1), paymentMethod: z.string().min(1) })
  .meta({ id: 'CreatePaymentBody' });
const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .meta({ description: 'Sent again with the same body, returns the first payment and charges nothing' }),
});

/** `/api/payments`: pay an order once per idempotency key, and read payments. */
export const paymentsRoutes: RestRoute[] = [
  defineRoute({
    method: 'post',
    path: '/payments',
    operationId: 'createPayment',
    summary:
      'Pay one of your orders (methods: card, paypal, bank_transfer; card_declined fails; card_timeout answers 202 PENDING, then settles)',
    tag: 'payments',
    access: 'user',
    headers: idempotencyHeaders,
    body: createBody,
    response: {
      status: 201,
      alsoStatus: [200, 202],
      description:
        'The payment (201), the first payment for this key (200, an idempotent replay), or a payment whose outcome is not known yet (202, PENDING: reconciliation settles it)',
      schema: paymentSchema,
    },
    errors: [400, 401, 403, 404, 409],
    handle: async ({ body, headers }, run) => {
      const input = { ...body, idempotencyKey: headers['idempotency-key'] };
      const data = await run<{ processPaymentAttempt: { replayed: boolean; payment: GraphqlPayment } }>({
        query: PROCESS_PAYMENT,
        variables: { input },
      });
      const { replayed, payment } = data.processPaymentAttempt;
      const status = payment.status === 'PENDING' ? 202 : replayed ? 200 : 201;
      return { status, body: toRestPayment(payment) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/payments/{id}',
    operationId: 'getPayment',
    summary: 'One payment: of your own order, or any for an admin',
    tag: 'payments',
    access: 'user',
    params: idParams,
    response: { status: 200, description: 'The payment', schema: paymentSchema },
    errors: [400, 401, 403, 404],
    handle: async ({ params }, run) => {
      const data = await run<{ payment: GraphqlPayment | null }>({ query: PAYMENT, variables: { id: params.id } });
      if (!data.payment) throw new NotFoundError('Payment', params.id);
      return { status: 200, body: toRestPayment(data.payment) };
    },
  }),
];
