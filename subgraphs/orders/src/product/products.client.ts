import { AppError, CUSTOMER_LIMIT, ServiceUnavailableError, type TokenService } from '@shop/platform/core';
import { callSubgraph } from '@shop/platform/http';
import { type RequestContext } from '@shop/platform/subgraph';

/**
 * A request's context, or a background job's: the request id is passed on, and a request's
 * deadline bounds its reservation and confirmation (never a release: giving stock back is owed
 * whether or not anyone still waits).
 */
export type CallContext = Pick<RequestContext, 'requestId' | 'deadline'>;

export interface StockItem {
  productId: string;
  quantity: number;
}

export interface ReservedItem extends StockItem {
  /** Decimal string ("19.99"): the price products charges now, never one sent by the client. */
  unitPrice: string;
}

const RESERVE = `mutation ReserveStock($orderId: ID!, $items: [StockItemInput!]!, $customerId: ID) {
  reserveStock(orderId: $orderId, items: $items, customerId: $customerId) { productId quantity unitPrice }
}`;
const RELEASE = `mutation ReleaseStock($orderId: ID!, $unlessConfirmed: Boolean) {
  releaseStock(orderId: $orderId, unlessConfirmed: $unlessConfirmed)
}`;
const CONFIRM = `mutation ConfirmStock($orderId: ID!) { confirmStock(orderId: $orderId) }`;

/** Products no longer holds the order's stock (expired unconfirmed, or released): the order cannot stand. */
export class StockReservationLapsedError extends Error {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {
    super(`the stock reservation of order ${orderId} is gone (${reason})`);
  }
}

/** Refusals the customer can act on; any other error from products is our own failure. */
const CUSTOMER_CODES: ReadonlySet<unknown> = new Set(['NOT_FOUND', 'INSUFFICIENT_STOCK', 'BAD_USER_INPUT']);

/** Products' limits on one customer (CONFLICT with one of these reasons), refused before any stock moves. */
const CUSTOMER_LIMITS: ReadonlySet<unknown> = new Set(Object.values(CUSTOMER_LIMIT));

/** Products refused the request, clearly: nothing was done, so nothing needs undoing. */
export const isRefusal = (error: unknown): boolean =>
  error instanceof AppError &&
  (CUSTOMER_CODES.has(error.extensions.code) || CUSTOMER_LIMITS.has(error.extensions.reason));

/** The products subgraph's internal stock operations, called as the orders service itself. */
export class ProductsClient {
  constructor(
    private readonly url: string,
    private readonly tokens: Pick<TokenService, 'serviceAuthorization'>,
  ) {}

  /**
   * All or nothing: either every line is reserved, or nothing is and the error says why (among the
   * refusals: the customer's unpaid orders hold the limit, or a product's purchase limit).
   */
  async reserveStock(
    ctx: CallContext,
    orderId: string,
    items: StockItem[],
    customerId: string,
  ): Promise<ReservedItem[]> {
    const variables = { orderId, items, customerId };
    const data = await this.call<{ reserveStock: ReservedItem[] }>(ctx, RESERVE, variables, ctx.deadline);
    return data.reserveStock;
  }

  /** Idempotent: releasing an order twice, or one that reserved nothing, is harmless. */
  async releaseStock(ctx: CallContext, orderId: string): Promise<void> {
    await this.call(ctx, RELEASE, { orderId, unlessConfirmed: false });
  }

  /**
   * The release of a create that failed: false, and nothing released, when the reservation was
   * confirmed, that is when the expiry sweep found the order stored after all.
   */
  async releaseUnconfirmedStock(ctx: CallContext, orderId: string): Promise<boolean> {
    try {
      await callSubgraph(this.url, RELEASE, { orderId, unlessConfirmed: true }, await this.headers(ctx));
      return true;
    } catch (error) {
      if (error instanceof AppError && error.extensions.reason === 'confirmed') return false;
      throw this.internal(error);
    }
  }

  /**
   * The order is stored: products holds its stock from now on, never expiring it. Idempotent;
   * StockReservationLapsedError when the reservation expired (or was released) first.
   */
  async confirmStock(ctx: CallContext, orderId: string): Promise<void> {
    try {
      await callSubgraph(this.url, CONFIRM, { orderId }, await this.headers(ctx, ctx.deadline));
    } catch (error) {
      if (error instanceof AppError && error.extensions.code === 'CONFLICT') {
        throw new StockReservationLapsedError(orderId, String(error.extensions.reason ?? 'unknown'));
      }
      throw this.internal(error);
    }
  }

  private async headers(ctx: CallContext, deadline?: number) {
    return { authorization: await this.tokens.serviceAuthorization('orders'), requestId: ctx.requestId, deadline };
  }

  /**
   * Refusals the customer can act on pass as they are, and so does no answer at all
   * (SERVICE_UNAVAILABLE: the customer may retry); anything else is our own failure.
   */
  private internal(error: unknown): unknown {
    // Ours (no answer in time) or products' own (its row transaction gave up at our deadline).
    if (error instanceof ServiceUnavailableError) return error;
    if (error instanceof AppError && !isRefusal(error)) {
      return new Error(`products answered ${String(error.extensions.code)}: ${error.message}`);
    }
    return error;
  }

  private async call<T>(
    ctx: CallContext,
    query: string,
    variables: Record<string, unknown>,
    deadline?: number,
  ): Promise<T> {
    try {
      return await callSubgraph<T>(this.url, query, variables, await this.headers(ctx, deadline));
    } catch (error) {
      throw this.internal(error);
    }
  }
}
