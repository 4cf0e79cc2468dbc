import { orderStatusSchema, paymentStatusSchema } from '@shop/events';
import { z } from 'zod';

// The legacy shapes the shims answer with, and the GraphQL selections they are mapped from:
// ids are strings, money is a JSON number (a `Decimal` string in GraphQL), references are ids.

/** "19.99" (GraphQL Decimal) → 19.99: only the wire format changes, no arithmetic. */
const toMoney = (decimal: string): number => Number(decimal);

const money = z.number().meta({ example: 19.99 });
const timestamp = z.string().meta({ format: 'date-time' });

/** An id in the path: the subgraphs decide whether it exists. */
export const idParams = z.object({ id: z.string().min(1).max(100) });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'The GraphQL error code, e.g. CONFLICT' }),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    reason: z.string().optional().meta({
      description:
        'What kind of error, where it says: e.g. UNPAID_ORDERS_LIMIT, PURCHASE_LIMIT, PAYMENT_WINDOW_CLOSED, PAYMENT_FAILURES_LIMIT on 409',
    }),
    productId: z
      .string()
      .optional()
      .meta({ description: 'The product the error is about, where it names one (INSUFFICIENT_STOCK, PURCHASE_LIMIT)' }),
    limit: z.number().int().optional().meta({
      description:
        'The limit met, where the error names one (UNPAID_ORDERS_LIMIT, PURCHASE_LIMIT, PAYMENT_FAILURES_LIMIT)',
    }),
    requestId: z.string().optional().meta({ description: 'On 500: quote it to find the request in the logs' }),
    retryAfter: z
      .number()
      .int()
      .optional()
      .meta({ description: 'On 429 and 503: whole seconds to wait (also Retry-After)' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

// ── User ──
export const USER_FIELDS = 'id email firstName lastName phone role createdAt updatedAt';
export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    phone: z.string().nullable(),
    role: z.enum(['CUSTOMER', 'ADMIN']),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'User' });
export type RestUser = z.infer<typeof userSchema>;
export const authPayloadSchema = z.object({ token: z.string(), user: userSchema }).meta({ id: 'AuthPayload' });

// ── Product ──
const PURCHASE_LIMIT =
  'The most units of this product one customer may have in orders not cancelled, paid or awaiting payment (null: no limit); an order past it is refused with 409, reason PURCHASE_LIMIT';
export const PRODUCT_FIELDS = 'id name description price category inventory images purchaseLimit createdAt updatedAt';
export const productSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    price: money,
    category: z.string(),
    inventory: z.number().int(),
    images: z.array(z.string()),
    purchaseLimit: z.number().int().nullable().meta({ description: PURCHASE_LIMIT }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Product' });
type RestProduct = z.infer<typeof productSchema>;
export type GraphqlProduct = Omit<RestProduct, 'price'> & { price: string };
export const toRestProduct = (product: GraphqlProduct): RestProduct => ({ ...product, price: toMoney(product.price) });

// ── Order ──
export const ORDER_FIELDS = `id user { id } items { product { id } quantity price } status totalAmount
  shippingAddress { street city state zipCode country } paymentStatus createdAt updatedAt`;
const addressSchema = z
  .object({ street: z.string(), city: z.string(), state: z.string(), zipCode: z.string(), country: z.string() })
  .meta({ id: 'ShippingAddress' });
export const orderSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    items: z.array(z.object({ productId: z.string(), quantity: z.number().int(), price: money })),
    status: orderStatusSchema,
    totalAmount: money,
    shippingAddress: addressSchema,
    paymentStatus: paymentStatusSchema,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Order' });
type RestOrder = z.infer<typeof orderSchema>;
export interface GraphqlOrder extends Omit<RestOrder, 'userId' | 'items' | 'totalAmount'> {
  user: { id: string };
  items: { product: { id: string }; quantity: number; price: string }[];
  totalAmount: string;
}
export const toRestOrder = ({ user, items, totalAmount, ...order }: GraphqlOrder): RestOrder => ({
  id: order.id,
  userId: user.id,
  items: items.map((item) => ({ productId: item.product.id, quantity: item.quantity, price: toMoney(item.price) })),
  status: order.status,
  totalAmount: toMoney(totalAmount),
  shippingAddress: order.shippingAddress,
  paymentStatus: order.paymentStatus,
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
});

// ── Payment ──
export const PAYMENT_FIELDS =
  'id order { id } amount paymentMethod status transactionId failureReason createdAt updatedAt';
export const paymentSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    amount: money,
    paymentMethod: z.string(),
    status: paymentStatusSchema,
    transactionId: z.string().nullable(),
    failureReason: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Payment' });
type RestPayment = z.infer<typeof paymentSchema>;
export interface GraphqlPayment extends Omit<RestPayment, 'orderId' | 'amount'> {
  order: { id: string };
  amount: string;
}
export const toRestPayment = ({ order, amount, ...payment }: GraphqlPayment): RestPayment => ({
  id: payment.id,
  orderId: order.id,
  amount: toMoney(amount),
  paymentMethod: payment.paymentMethod,
  status: payment.status,
  transactionId: payment.transactionId,
  failureReason: payment.failureReason,
  createdAt: payment.createdAt,
  updatedAt: payment.updatedAt,
});
