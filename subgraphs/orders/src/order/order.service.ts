import { randomUUID } from 'node:crypto';
import { type EventOf, orderCreated, orderUpdated, type paymentFailed, type paymentSucceeded } from '@shop/events';
import {
  AppError,
  assertOwnerOrAdmin,
  BadUserInputError,
  ConflictError,
  decodeCursor,
  encodeCursor,
  formatCents,
  MAX_CENTS,
  NotFoundError,
  pageSize,
  type RequestContext,
  requirePrincipal,
  toCents,
  validate,
  withDocumentLock,
} from '@shop/platform';
import { z } from 'zod';
import type { ProductsClient, ReservedItem } from '../product/products.client.js';
import { type OrderItemRecord, OrderModel, type OrderRecord } from './order.model.js';
import { type Order, type OrderConnection, OrderStatus, PaymentStatus } from './order.type.js';
import { createOrderSchema, type OrderLine } from './order-input.schema.js';
import { type OrderState, orderStatusMachine } from './order-status.machine.js';

/** The outbox relay, woken after each write so events leave without waiting for its next poll. */
export interface OutboxKicker {
  kick(): void;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

type Stored = Omit<OrderRecord, 'pendingEvents'>;

const cursorSchema = z.object({ c: z.iso.datetime(), i: z.string().min(1) });
/** Optimistic retries when another writer changed the order between our read and our update. */
const MAX_ATTEMPTS = 3;

function toOrder(record: Stored): Order {
  const { street, city, state, zipCode, country } = record.shippingAddress;
  return {
    id: record._id,
    user: { id: record.userId },
    items: record.items.map((item) => ({
      product: { id: item.productId },
      quantity: item.quantity,
      price: formatCents(item.priceCents),
    })),
    status: record.status,
    totalAmount: formatCents(record.totalCents),
    shippingAddress: { street, city, state, zipCode, country },
    paymentStatus: record.paymentStatus,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** Prices every requested line from the reservation; a reservation that does not match is a products bug. */
function priceItems(lines: OrderLine[], reserved: ReservedItem[]): OrderItemRecord[] {
  const byProduct = new Map(reserved.map((item) => [item.productId.toLowerCase(), item]));
  return lines.map((line) => {
    const item = byProduct.get(line.productId);
    if (!item || item.quantity !== line.quantity) {
      throw new Error(`products reserved no matching line for product ${line.productId}`);
    }
    return { ...line, priceCents: toCents(item.unitPrice) };
  });
}

export class OrderService {
  constructor(
    private readonly products: ProductsClient,
    private readonly outbox: OutboxKicker,
  ) {}

  /** Places an order for the caller: stock reserved and priced by products, then stored with order.created. */
  async create(ctx: RequestContext, input: unknown): Promise<Order> {
    const principal = requirePrincipal(ctx.principal);
    const data = validate(createOrderSchema, input);
    // The id exists before the order does, so products can key the reservation (and its release) on it.
    const orderId = randomUUID();
    const reserved = await this.reserve(ctx, orderId, data.items);
    try {
      const items = priceItems(data.items, reserved);
      const totalCents = items.reduce((sum, item) => sum + item.priceCents * item.quantity, 0);
      if (totalCents > MAX_CENTS) {
        throw new BadUserInputError('Order total too large', [
          { field: 'items', message: 'total exceeds the maximum' },
        ]);
      }
      const event = orderCreated.create({
        orderId,
        userId: principal.id,
        totalAmount: formatCents(totalCents),
        items: items.map(({ productId, quantity, priceCents }) => ({
          productId,
          quantity,
          price: formatCents(priceCents),
        })),
      });
      const record = await OrderModel.create({
        _id: orderId,
        userId: principal.id,
        items,
        status: OrderStatus.PENDING,
        paymentStatus: PaymentStatus.PENDING,
        totalCents,
        shippingAddress: data.shippingAddress,
        pendingEvents: [event],
      });
      this.outbox.kick();
      return toOrder(record.toObject());
    } catch (error) {
      await this.release(ctx, orderId);
      throw error;
    }
  }

  /** The owner, an admin or a service may read an order. */
  async findById(ctx: RequestContext, id: string): Promise<Order> {
    const principal = requirePrincipal(ctx.principal);
    const record = await this.load(id);
    assertOwnerOrAdmin(principal, record.userId);
    return toOrder(record);
  }

  /** The caller's own orders, newest first; an admin (or a service) sees everyone's. */
  async list(ctx: RequestContext, args: PageArgs & { status?: OrderStatus | null }): Promise<OrderConnection> {
    const principal = requirePrincipal(ctx.principal);
    const filter: Record<string, unknown> = principal.role === 'CUSTOMER' ? { userId: principal.id } : {};
    if (args.status) filter.status = args.status;
    return this.page(filter, args);
  }

  /** `User.orders`: one user's orders, for that user or an admin. */
  async listForUser(ctx: RequestContext, userId: string, args: PageArgs): Promise<OrderConnection> {
    assertOwnerOrAdmin(ctx.principal, userId);
    return this.page({ userId }, args);
  }

  /** updateOrderStatus: the life cycle decides, a conditional update makes concurrent requests safe. */
  async updateStatus(ctx: RequestContext, id: string, status: OrderStatus): Promise<Order> {
    const principal = requirePrincipal(ctx.principal);
    const record = await this.transition(id, (current) => {
      assertOwnerOrAdmin(principal, current.userId);
      return orderStatusMachine.request(current, status, principal.role === 'CUSTOMER' ? 'owner' : 'admin');
    });
    if (record.status === OrderStatus.CANCELLED) await this.release(ctx, id);
    return toOrder(record);
  }

  async recordPaymentSucceeded(event: EventOf<typeof paymentSucceeded>): Promise<void> {
    await this.transition(event.data.orderId, orderStatusMachine.paymentSucceeded);
  }

  async recordPaymentFailed(event: EventOf<typeof paymentFailed>): Promise<void> {
    await this.transition(event.data.orderId, orderStatusMachine.paymentFailed);
  }

  private async load(id: string): Promise<Stored> {
    const record = await OrderModel.findById(id).select('-pendingEvents').lean<Stored>();
    if (!record) throw new NotFoundError('Order', id);
    return record;
  }

  /**
   * Applies `decide`'s new state with its order.updated event in one update that only matches the
   * state it was decided on, so of two concurrent changes exactly one wins; the loser decides again.
   * `decide` returning null means nothing to change (e.g. a redelivered event).
   */
  private async transition(id: string, decide: (current: Stored) => OrderState | null): Promise<Stored> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.load(id);
      const next = decide(current);
      if (!next) return current;
      const event = orderUpdated.create({
        orderId: id,
        userId: current.userId,
        previousStatus: current.status,
        status: next.status,
        paymentStatus: next.paymentStatus,
      });
      const updated = await withDocumentLock(OrderModel.collection.name, id, () =>
        OrderModel.findOneAndUpdate(
          { _id: id, status: current.status, paymentStatus: current.paymentStatus },
          { $set: next, $push: { pendingEvents: event } },
          // No projection: FerretDB does not support one on findAndModify.
          { returnDocument: 'after' },
        ).lean<Stored>(),
      );
      if (updated) {
        this.outbox.kick();
        return updated;
      }
    }
    throw new ConflictError('Order changed concurrently, try again');
  }

  private async page(filter: Record<string, unknown>, args: PageArgs): Promise<OrderConnection> {
    const size = pageSize(args.first);
    const after = args.after ? decodeCursor(cursorSchema, args.after) : undefined;
    const where = after
      ? {
          ...filter,
          $or: [{ createdAt: { $lt: new Date(after.c) } }, { createdAt: new Date(after.c), _id: { $lt: after.i } }],
        }
      : filter;
    const [records, totalCount] = await Promise.all([
      OrderModel.find(where)
        .select('-pendingEvents')
        .sort({ createdAt: -1, _id: -1 })
        .limit(size + 1)
        .lean<Stored[]>(),
      OrderModel.countDocuments(filter),
    ]);
    const edges = records.slice(0, size).map((record) => ({
      cursor: encodeCursor({ c: record.createdAt.toISOString(), i: record._id }),
      node: toOrder(record),
    }));
    return {
      edges,
      pageInfo: { hasNextPage: records.length > size, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount,
    };
  }

  /** A failed call may still have reserved (a timeout, say), so only a clear refusal skips the release. */
  private async reserve(ctx: RequestContext, orderId: string, items: OrderLine[]): Promise<ReservedItem[]> {
    try {
      return await this.products.reserveStock(ctx, orderId, items);
    } catch (error) {
      if (!(error instanceof AppError)) await this.release(ctx, orderId);
      throw error;
    }
  }

  /** Best effort: the caller's outcome stands either way; a failure is logged for follow-up. */
  private async release(ctx: RequestContext, orderId: string): Promise<void> {
    try {
      await this.products.releaseStock(ctx, orderId);
    } catch (error) {
      ctx.log.error({ err: error, orderId }, 'stock release failed; reservation stays until released');
    }
  }
}
