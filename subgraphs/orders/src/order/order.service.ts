import { randomUUID } from 'node:crypto';
import {
  type EventOf,
  orderCreated,
  type paymentFailed,
  type paymentSucceeded,
  RejectedEventError,
  type userDeleted,
} from '@shop/events';
import {
  assertOwnerOrAdmin,
  ConflictError,
  formatCents,
  MAX_CENTS,
  NotFoundError,
  requestScoped,
  requirePrincipal,
  type SystemContext,
  validate,
} from '@shop/platform/core';
import { loadByIds, type OutboxWakeUp, type PageArgs, pageNewestFirst } from '@shop/platform/mongo';
import { type RequestContext } from '@shop/platform/subgraph';
import DataLoader from 'dataloader';
import type { PaymentsClient } from '../payment/payments.client.js';
import {
  isRefusal,
  type ProductsClient,
  type ReservedItem,
  StockReservationLapsedError,
} from '../product/products.client.js';
import { priceItems, toOrder } from './order.mapping.js';
import { OrderModel } from './order.model.js';
import { type Order, type OrderAttempt, type OrderConnection, OrderStatus, PaymentStatus } from './order.type.js';
import { OrderExpiryService } from './order-expiry.service.js';
import { OrderHourRegistry } from './order-hour.registry.js';
import { type CreateOrderData, createOrderSchema, type OrderLine } from './order-input.schema.js';
import { paymentMismatch, rejectingUnknownOrder } from './order-payment.rules.js';
import { OrderRequestKeys, requestFingerprint } from './order-request.keys.js';
import { orderStatusMachine } from './order-status.machine.js';
import { OrderStock } from './order-stock.js';
import { OrderTransitionWriter, type StoredOrder } from './order-transition.writer.js';

type Stored = StoredOrder;

/** Per request: every `Order` reference (and `order(id)`) of one request is read in one query. */
const ordersById = requestScoped(
  (_ctx: object) =>
    new DataLoader<string, Stored | null>(
      loadByIds((_id) => OrderModel.find({ _id }).select('-pendingEvents').lean<Stored[]>()),
    ),
);

/**
 * Per request: one page of a user's orders read once, however many references ask for it (a page
 * of one customer's orders, each with `user { orders }`).
 */
const pagesForUser = requestScoped(
  (_ctx: object) =>
    new DataLoader<string, OrderConnection>((keys) =>
      Promise.all(
        keys.map((key) => {
          const { userId, first, after } = JSON.parse(key) as { userId: string } & PageArgs;
          return pageNewestFirst(OrderModel, { userId }, { first, after }, toOrder);
        }),
      ),
    ),
);

/** ORDER_PAYMENT_TIMEOUT's default (config.ts). */
const DEFAULT_PAYMENT_WINDOW_MS = 30 * 60_000;

/** The subgraphs orders calls as itself: products for stock, payments before an unpaid order expires. */
export interface OrderPeers {
  products: ProductsClient;
  payments: PaymentsClient;
}

export class OrderService {
  private readonly products: ProductsClient;
  private readonly transitions: OrderTransitionWriter;
  /** The payment timeout's sweep (OrderExpiryJob), and the cancellation of creates that failed. */
  readonly expiry: OrderExpiryService;
  private readonly keys = new OrderRequestKeys();
  private readonly stock: OrderStock;

  constructor(
    peers: OrderPeers,
    private readonly outbox: OutboxWakeUp,
    private readonly hours = new OrderHourRegistry(),
    /** ORDER_PAYMENT_TIMEOUT: how long after it is placed an order accepts a payment. */
    private readonly paymentWindowMs = DEFAULT_PAYMENT_WINDOW_MS,
  ) {
    this.products = peers.products;
    this.transitions = new OrderTransitionWriter(outbox, hours);
    this.stock = new OrderStock(peers.products);
    this.expiry = new OrderExpiryService(peers.payments, this.transitions, this.stock);
  }

  /** The last moment payments accepts a charge for the order (the sweep waits ORDER_PAYMENT_GRACE longer). */
  payableUntil(order: Pick<Order, 'createdAt'>): Date {
    return new Date(order.createdAt.getTime() + this.paymentWindowMs);
  }

  /** createOrder: the order only (see `attempt`). */
  async create(ctx: RequestContext, input: unknown): Promise<Order> {
    return (await this.attempt(ctx, input)).order;
  }

  /**
   * Places an order for the caller: stock reserved and priced by products, then stored with
   * order.created. With an idempotency key, a repeat of a request that placed its order is a
   * replay: that order, nothing reserved.
   */
  async attempt(ctx: RequestContext, input: unknown): Promise<OrderAttempt> {
    const principal = requirePrincipal(ctx.principal);
    const data = validate(createOrderSchema, input);
    if (!data.idempotencyKey) return { order: await this.place(ctx, principal.id, data), replayed: false };
    const request = { idempotencyKey: data.idempotencyKey, requestFingerprint: requestFingerprint(data) };
    const key = await this.keys.claim(principal.id, request.idempotencyKey, request.requestFingerprint);
    if (key.state === 'replay') return { order: toOrder(key.order), replayed: true };
    try {
      return { order: await this.place(ctx, principal.id, data, request), replayed: false };
    } catch (error) {
      // Nothing was stored, or what was is cancelled and dropped the key (abandon): the key is free again.
      await key.release().catch((failure: unknown) => {
        ctx.log.warn({ err: failure }, 'idempotency key not given back; it is free again after its hold');
      });
      throw error;
    }
  }

  private async place(
    ctx: RequestContext,
    userId: string,
    data: CreateOrderData,
    request?: { idempotencyKey: string; requestFingerprint: string },
  ): Promise<Order> {
    // The id exists before the order does, so products can key the reservation (and its release) on it.
    const orderId = randomUUID();
    const reserved = await this.reserve(ctx, orderId, data.items, userId);
    let record: Stored;
    try {
      const items = priceItems(data.items, reserved);
      const totalCents = items.reduce((sum, item) => sum + item.priceCents * item.quantity, 0);
      // The request is valid; today's prices make it too large (as stock makes an order unfillable).
      if (totalCents > MAX_CENTS) {
        throw new ConflictError(`At current prices the order total exceeds ${formatCents(MAX_CENTS)}`, {
          reason: 'TOTAL_TOO_LARGE',
        });
      }
      const event = orderCreated.create({
        orderId,
        userId,
        totalAmount: formatCents(totalCents),
        items: items.map(({ productId, quantity, priceCents }) => ({
          productId,
          quantity,
          price: formatCents(priceCents),
        })),
      });
      await this.hours.ensure();
      const created = await OrderModel.create({
        _id: orderId,
        userId,
        items,
        status: OrderStatus.PENDING,
        paymentStatus: PaymentStatus.PENDING,
        totalCents,
        shippingAddress: data.shippingAddress,
        stockConfirmed: false,
        pendingEvents: [event],
        ...request,
      });
      const { pendingEvents, ...stored } = created.toObject();
      record = stored;
      this.transitions.remember(stored);
      this.outbox.kick({ model: OrderModel, id: orderId, pendingEvents });
    } catch (error) {
      await this.releaseFailedCreate(ctx, orderId, { mayBeStored: true });
      throw error;
    }
    // Until products has the confirmation, the reservation may expire (this request stalled past
    // STOCK_RESERVATION_TTL): such an order is cancelled, with its event, never kept without stock.
    try {
      await this.products.confirmStock(ctx, orderId);
    } catch (error) {
      await this.abandon(ctx, orderId);
      if (!(error instanceof StockReservationLapsedError)) throw error;
      throw new ConflictError('The stock held for this order was given back before the order was placed; try again', {
        reason: 'STOCK_RESERVATION_EXPIRED',
      });
    }
    return toOrder(record);
  }

  /** The owner, an admin or a service may read an order; batched per request (entity references). */
  async findById(ctx: RequestContext, id: string): Promise<Order> {
    const principal = requirePrincipal(ctx.principal);
    const record = await ordersById(ctx).load(id);
    if (!record) throw new NotFoundError('Order', id);
    assertOwnerOrAdmin(principal, record.userId, 'Order', id);
    return toOrder(record);
  }

  /** The caller's own orders, newest first; an admin (or a service) sees everyone's. */
  async list(ctx: RequestContext, args: PageArgs & { status?: OrderStatus | null }): Promise<OrderConnection> {
    const principal = requirePrincipal(ctx.principal);
    const status = args.status ?? undefined;
    if (principal.role === 'CUSTOMER') return this.page({ userId: principal.id, ...(status && { status }) }, args);
    return this.hours.page(args, toOrder, status);
  }

  /** `User.orders`: one user's orders, for that user or an admin. */
  async listForUser(ctx: RequestContext, userId: string, args: PageArgs): Promise<OrderConnection> {
    assertOwnerOrAdmin(ctx.principal, userId, 'User', userId);
    return pagesForUser(ctx).load(JSON.stringify({ userId, first: args.first ?? null, after: args.after ?? null }));
  }

  /** updateOrderStatus: the life cycle decides, a conditional update makes concurrent requests safe. */
  async updateStatus(ctx: RequestContext, id: string, status: OrderStatus): Promise<Order> {
    const principal = requirePrincipal(ctx.principal);
    const { record, won } = await this.transitions.move(id, (current) => {
      assertOwnerOrAdmin(principal, current.userId, 'Order', id);
      return orderStatusMachine.request(current, status, principal.role === 'CUSTOMER' ? 'owner' : 'admin');
    });
    if (won && record.status === OrderStatus.CANCELLED) await this.stock.releaseCancelled(ctx, id);
    return toOrder(record);
  }

  /**
   * PAID, or (when the payment lost a race with cancellation) marked for refund; the payment
   * becomes the order's live payment. Only a payment of the order total, by the order's owner, and
   * (once one was applied) the live payment itself is applied: anything else is rejected, which
   * parks the event in the dead-letter queue with its reason and raises an alert. So is a payment of
   * an order that does not exist: no retry can make it one (payments saw the order before charging).
   */
  async recordPaymentSucceeded(event: EventOf<typeof paymentSucceeded>): Promise<void> {
    const { paymentId, orderId } = event.data;
    let cancelled = false;
    const decide = async (current: Stored) => {
      cancelled = false;
      const reason = paymentMismatch(current, event.data);
      if (reason) throw new RejectedEventError(reason);
      // Never PAID without stock: an order whose stock is not confirmed yet is confirmed now, or, when
      // products gave its stock back already, cancelled, and the payment then marked for refund.
      if (current.status === OrderStatus.PENDING && current.stockConfirmed !== true) {
        if (!(await this.stock.held({ requestId: `event-${event.id}` }, orderId))) {
          cancelled = true;
          return orderStatusMachine.expire(current);
        }
      }
      const next = orderStatusMachine.paymentSucceeded(current);
      return next && { ...next, paymentId };
    };
    await rejectingUnknownOrder(
      orderId,
      async () => {
        // An expiry for want of stock is not the event's whole effect: the refund marking follows.
        await this.transitions.move(orderId, decide, { id: event.id, recordIf: () => !cancelled, fromLastKnown: true });
        if (cancelled) await this.transitions.move(orderId, decide, { id: event.id });
      },
      { moneyTaken: true },
    );
  }

  async recordPaymentFailed(event: EventOf<typeof paymentFailed>): Promise<void> {
    const { orderId } = event.data;
    await rejectingUnknownOrder(
      orderId,
      () => this.transitions.move(orderId, orderStatusMachine.paymentFailed, { id: event.id, fromLastKnown: true }),
      { moneyTaken: false },
    );
  }

  /**
   * user.deleted: the account's unpaid orders are cancelled now, as their owner could have, and
   * their stock released (a failed release is retried by the expiry sweep), since nobody can pay
   * them any more; its paid orders are fulfilled. Redelivered, it finds nothing left to cancel.
   */
  async cancelForDeletedAccount(ctx: SystemContext, event: EventOf<typeof userDeleted>): Promise<string[]> {
    const { userId } = event.data;
    const unpaid = await OrderModel.find({ userId, status: OrderStatus.PENDING })
      .select('_id')
      .lean<{ _id: string }[]>();
    const cancelled: string[] = [];
    for (const { _id: id } of unpaid) {
      const { won } = await this.transitions.move(id, orderStatusMachine.ownerDeleted, { id: event.id });
      if (!won) continue;
      cancelled.push(id);
      await this.stock.releaseCancelled(ctx, id);
    }
    if (cancelled.length > 0)
      ctx.log.info({ userId, orderIds: cancelled }, 'unpaid orders of a deleted account cancelled');
    return cancelled;
  }

  private page(filter: Record<string, unknown>, args: PageArgs): Promise<OrderConnection> {
    return pageNewestFirst(OrderModel, filter, args, toOrder);
  }

  /** A failed call may still have reserved (a timeout, say), so only a clear refusal skips the release. */
  private async reserve(
    ctx: SystemContext,
    orderId: string,
    items: OrderLine[],
    customerId: string,
  ): Promise<ReservedItem[]> {
    try {
      return await this.products.reserveStock(ctx, orderId, items, customerId);
    } catch (error) {
      if (!isRefusal(error)) await this.releaseFailedCreate(ctx, orderId);
      throw error;
    }
  }

  /**
   * The release of a create that failed. Its order may be stored after all (`mayBeStored`: the insert
   * committed but its answer was lost): it is cancelled, as the customer was told, dropping its key.
   * The expiry sweep may even have confirmed its stock before this release came: products then keeps
   * the stock, which the cancellation releases.
   */
  private async releaseFailedCreate(
    ctx: SystemContext,
    orderId: string,
    { mayBeStored } = { mayBeStored: false },
  ): Promise<void> {
    // Products kept the stock (false: the sweep confirmed it first), gave it back (true), or did not answer.
    let released: boolean | undefined;
    try {
      released = await this.products.releaseUnconfirmedStock(ctx, orderId);
    } catch (error) {
      ctx.log.error({ err: error, orderId }, 'stock release failed; products expires the unconfirmed reservation');
      // A stored order is still cancelled (below): left PENDING, the sweep would confirm its stock.
      if (!mayBeStored) return;
    }
    // When the read fails too, abandon tries (and logs); the sweep cancels such an order at the latest.
    const stored = mayBeStored && (await OrderModel.exists({ _id: orderId }).catch(() => true));
    if (released === false || stored) await this.abandon(ctx, orderId);
  }

  /**
   * A create that failed after storing its order: the order is cancelled, its stock released and its
   * idempotency key given back, or else the sweep cancels and releases.
   */
  private async abandon(ctx: SystemContext, orderId: string): Promise<void> {
    try {
      if (!(await this.expiry.cancelUnplaced(orderId))) return;
      await this.stock.releaseCancelled(ctx, orderId);
    } catch (error) {
      ctx.log.error(
        { err: error, orderId },
        'order of a failed create not cancelled; the expiry sweep cancels it, at the latest at the payment timeout',
      );
    }
  }
}
