import { AppError, callSubgraph, type RequestContext, type TokenService } from '@shop/platform';

/** A request's context, or a background job's: only the request id is passed on. */
export type CallContext = Pick<RequestContext, 'requestId'>;

export interface StockItem {
  productId: string;
  quantity: number;
}

export interface ReservedItem extends StockItem {
  /** Decimal string ("19.99"): the price products charges now, never one sent by the client. */
  unitPrice: string;
}

const RESERVE = `mutation ReserveStock($orderId: ID!, $items: [StockItemInput!]!) {
  reserveStock(orderId: $orderId, items: $items) { productId quantity unitPrice }
}`;
const RELEASE = `mutation ReleaseStock($orderId: ID!) { releaseStock(orderId: $orderId) }`;

/** Refusals the customer can act on; any other error from products is our own failure. */
const CUSTOMER_CODES: ReadonlySet<unknown> = new Set(['NOT_FOUND', 'INSUFFICIENT_STOCK', 'BAD_USER_INPUT']);

/** The products subgraph's internal stock operations, called as the orders service itself. */
export class ProductsClient {
  constructor(
    private readonly url: string,
    private readonly tokens: Pick<TokenService, 'serviceAuthorization'>,
  ) {}

  /** All or nothing: either every line is reserved, or nothing is and the error says why. */
  async reserveStock(ctx: CallContext, orderId: string, items: StockItem[]): Promise<ReservedItem[]> {
    const data = await this.call<{ reserveStock: ReservedItem[] }>(ctx, RESERVE, { orderId, items });
    return data.reserveStock;
  }

  /** Idempotent: releasing an order twice, or one that reserved nothing, is harmless. */
  async releaseStock(ctx: CallContext, orderId: string): Promise<void> {
    await this.call(ctx, RELEASE, { orderId });
  }

  private async call<T>(ctx: CallContext, query: string, variables: Record<string, unknown>): Promise<T> {
    const authorization = await this.tokens.serviceAuthorization('orders');
    try {
      return await callSubgraph<T>(this.url, query, variables, { authorization, requestId: ctx.requestId });
    } catch (error) {
      if (error instanceof AppError && !CUSTOMER_CODES.has(error.extensions.code)) {
        throw new Error(`products answered ${String(error.extensions.code)}: ${error.message}`);
      }
      throw error;
    }
  }
}
