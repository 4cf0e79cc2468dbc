import type { SystemContext, TokenService } from '@shop/platform/core';
import { callSubgraph } from '@shop/platform/http';

/** Through the payments subgraph's own `Order.payment` (an entity fetch, as the gateway makes one). */
const PAYMENT_OF_ORDER = `query PaymentOfOrder($orders: [_Any!]!) {
  _entities(representations: $orders) { ... on Order { payment { status } } }
}`;

type Answer = { _entities: ({ payment: { status: string } | null } | null)[] };

/** The payments subgraph, asked as the orders service itself. */
export class PaymentsClient {
  constructor(
    private readonly url: string,
    private readonly tokens: Pick<TokenService, 'serviceAuthorization'>,
  ) {}

  /**
   * The status of each order's payment as payments records it (its SUCCEEDED or REFUNDED payment,
   * else its latest), or null for an order without one: one request for all of them. Throws when
   * payments does not answer.
   */
  async paymentStatuses(
    ctx: Pick<SystemContext, 'requestId'>,
    orderIds: string[],
  ): Promise<Map<string, string | null>> {
    const authorization = await this.tokens.serviceAuthorization('orders');
    const variables = { orders: orderIds.map((id) => ({ __typename: 'Order', id })) };
    const data = await callSubgraph<Answer>(this.url, PAYMENT_OF_ORDER, variables, {
      authorization,
      requestId: ctx.requestId,
    });
    return new Map(orderIds.map((id, i) => [id, data._entities[i]?.payment?.status ?? null]));
  }
}
