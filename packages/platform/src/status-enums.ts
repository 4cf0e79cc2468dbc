import { orderStatusSchema, paymentStatusSchema } from '@shop/events';
import { registerEnumType } from 'type-graphql';
import type { z } from 'zod';

/**
 * The contract's status enums for GraphQL and the models (orders and payments both expose them),
 * from the one list of values in `@shop/events` (order-status.schema.ts): `OrderStatus.PAID` is 'PAID'.
 */
export const OrderStatus = orderStatusSchema.enum;
export type OrderStatus = z.infer<typeof orderStatusSchema>;
registerEnumType(OrderStatus, { name: 'OrderStatus' });

export const PaymentStatus = paymentStatusSchema.enum;
export type PaymentStatus = z.infer<typeof paymentStatusSchema>;
registerEnumType(PaymentStatus, { name: 'PaymentStatus' });
