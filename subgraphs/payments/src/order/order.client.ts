import { amountSchema, orderStatusSchema, paymentStatusSchema } from '@shop/events';
import { toCents } from '@shop/platform/core';
import { callSubgraph } from '@shop/platform/http';
import { type RequestContext } from '@shop/platform/subgraph';
import { z } from 'zod';

const ORDER_QUERY =
  'query($id: ID!){ order(id: $id) { id status paymentStatus totalAmount payableUntil user { id } } }';

const responseSchema = z.object({
  order: z
    .object({
      id: z.string(),
      status: orderStatusSchema,
      paymentStatus: paymentStatusSchema.nullable(),
      totalAmount: amountSchema,
      payableUntil: z.coerce.date(),
      user: z.object({ id: z.string() }),
    })
    .nullable(),
});

export interface OrderToPay {
  id: string;
  userId: string;
  status: z.infer<typeof orderStatusSchema>;
  paymentStatus: z.infer<typeof paymentStatusSchema> | null;
  totalCents: number;
  /** The last moment a charge is accepted: the orders service cancels the order soon after. */
  payableUntil: Date;
}

/**
 * Reads an order from the orders subgraph with the caller's own Authorization header, so the
 * orders subgraph applies its owner-or-admin rule and this one never sees more than the caller.
 */
export class OrdersClient {
  constructor(private readonly url: string) {}

  async find(ctx: RequestContext, orderId: string): Promise<OrderToPay | null> {
    const data = await callSubgraph(
      this.url,
      ORDER_QUERY,
      { id: orderId },
      { authorization: ctx.authorization, requestId: ctx.requestId, deadline: ctx.deadline },
    );
    const { order } = responseSchema.parse(data);
    if (!order) return null;
    return {
      id: order.id,
      userId: order.user.id,
      status: order.status,
      paymentStatus: order.paymentStatus,
      totalCents: toCents(order.totalAmount),
      payableUntil: order.payableUntil,
    };
  }
}
