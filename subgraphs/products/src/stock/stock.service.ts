import { productChanged } from '@shop/events';
import {
  ConflictError,
  CUSTOMER_LIMIT,
  InsufficientStockError,
  NotFoundError,
  normalizeDecimal,
  requestScoped,
  requireRole,
  type SystemContext,
  validate,
} from '@shop/platform/core';
import type { OutboxWakeUp } from '@shop/platform/mongo';
import { type RequestContext } from '@shop/platform/subgraph';
import DataLoader from 'dataloader';
import { z } from 'zod';
import { outboxRows } from '../outbox/outbox.model.js';
import {
  hotRowTransaction,
  isProductId,
  MAX_INVENTORY,
  type Prisma,
  type ProductsDb,
} from '../product/product.model.js';
import { purchaseLimitRefusals, stockReservationsExpired, unpaidOrdersLimitRefusals } from './stock.metrics.js';
import type { ReservedItem } from './stock.type.js';

export interface StockSettings {
  /** STOCK_RESERVATION_TTL: how long a reservation waits for its order's confirmation. */
  reservationTtlMs: number;
  /** UNPAID_ORDERS_PER_CUSTOMER: how many unpaid orders one customer's reservations may hold at once. */
  unpaidOrdersPerCustomer: number;
  /** UNPAID_ORDERS_WINDOW: how long a reservation counts as an unpaid order at the most. */
  unpaidWindowMs: number;
}

const DEFAULT_SETTINGS: StockSettings = {
  reservationTtlMs: 5 * 60_000,
  unpaidOrdersPerCustomer: 10,
  unpaidWindowMs: 35 * 60_000,
};

/** Orders released per expiry pass; the next pass takes the rest. */
const EXPIRY_BATCH = 100;

const orderId = z.string().trim().min(1).max(100);
const reserveSchema = z.object({
  orderId,
  customerId: z.string().trim().min(1).max(100).optional(),
  items: z
    .array(z.object({ productId: z.string().trim().toLowerCase(), quantity: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(100)
    .refine((items) => new Set(items.map((item) => item.productId)).size === items.length, 'duplicate productId'),
});
type Item = z.infer<typeof reserveSchema>['items'][number];

/** Reservations and releases of one order run one at a time (until the transaction ends). */
const lockOrder = (tx: Prisma.TransactionClient, id: string) =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`stock:${id}`}, 0))`;

/** One customer's reservations run one at a time, so two at once cannot both pass the unpaid-order limit. */
const lockCustomer = (tx: Prisma.TransactionClient, id: string) =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`stock-customer:${id}`}, 0))`;

/**
 * The customer's orders reserved since `since` whose stock is held and not yet paid for (released or
 * settled lines do not count).
 */
async function unpaidOrdersOf(tx: Prisma.TransactionClient, customerId: string, since: Date): Promise<number> {
  const orders = await tx.stockReservation.groupBy({
    by: ['orderId'],
    where: { customerId, releasedAt: null, settledAt: null, createdAt: { gt: since } },
  });
  return orders.length;
}

/**
 * The customer's units of each of these products in orders not cancelled, paid or not, over each
 * product's life (reservations from before the limit carry no customer and do not count): what a
 * product's purchaseLimit is held against, by `reserve` and `allowance` alike. Products without any
 * are absent.
 */
async function unitsOf(
  client: Prisma.TransactionClient,
  customerId: string,
  productIds: readonly string[],
): Promise<Map<string, number>> {
  const rows = await client.stockReservation.groupBy({
    by: ['productId'],
    where: { customerId, productId: { in: [...productIds] }, releasedAt: null },
    _sum: { quantity: true },
  });
  return new Map(rows.map((row) => [row.productId, row._sum.quantity ?? 0]));
}

/** One `product.changed` per product whose stock moved, written in the transaction that moved it. */
const stockChanged = (tx: Prisma.TransactionClient, productIds: string[]) =>
  tx.outboxEvent.createMany({
    data: outboxRows(productIds.map((productId) => productChanged.create({ productId, change: 'stock' }))),
  });

/**
 * Gives back what the order still holds and marks its lines released, under the order's lock; records
 * the release (with its reason) even when nothing was reserved. Returns the lines and those restored.
 */
async function releaseOrder(tx: Prisma.TransactionClient, orderId: string, reason: 'released' | 'expired') {
  await tx.stockRelease.createMany({ data: [{ orderId, reason }], skipDuplicates: true });
  const lines = await tx.stockReservation.findMany({ where: { orderId }, orderBy: { productId: 'asc' } });
  const restored = lines.filter((candidate) => !candidate.releasedAt);
  for (const line of restored) {
    // An admin may have raised the stock near the column's limit since ("unlimited"): the release is
    // capped there, rather than failing for ever and holding the order's other lines with it.
    await tx.$executeRaw`UPDATE products SET inventory = LEAST(inventory::bigint + ${line.quantity}, ${MAX_INVENTORY})::integer, updated_at = now() WHERE id = ${line.productId}::uuid`;
  }
  await tx.stockReservation.updateMany({ where: { orderId, releasedAt: null }, data: { releasedAt: new Date() } });
  if (restored.length > 0) {
    await stockChanged(
      tx,
      restored.map((line) => line.productId),
    );
  }
  return { lines, restored };
}

const sameItems = (lines: { productId: string; quantity: number }[], items: Item[]) =>
  lines.length === items.length &&
  items.every((item) => lines.some((line) => line.productId === item.productId && line.quantity === item.quantity));

/**
 * Stock held for orders. The order id is the idempotency key: a retried reservation returns the
 * first one's lines, and a release gives back exactly what was reserved, once. A reservation lives
 * until its order confirms it (the order is stored) or it is released; one left unconfirmed past
 * the TTL (its order never came: a crash, a lost call) is released by the expiry job.
 */
export class StockService {
  /** The caller's units of each product asked in one request (a page of products), in one query. */
  private readonly unitsOfCaller = requestScoped(
    (ctx: RequestContext) =>
      new DataLoader<string, number>(async (productIds) => {
        const customerId = ctx.principal?.id;
        // Without a caller there is nobody's units to count (and no filter must never mean everyone's).
        if (!customerId) return productIds.map(() => 0);
        const units = await unitsOf(this.db, customerId, productIds);
        return productIds.map((id) => units.get(id) ?? 0);
      }),
  );
  private readonly ttlMs: number;
  private readonly unpaidLimit: number;
  private readonly unpaidWindowMs: number;

  /** `outbox`: told after each commit that recorded an event, so it is published without waiting. */
  constructor(
    private readonly db: ProductsDb,
    private readonly outbox?: OutboxWakeUp,
    settings: Partial<StockSettings> = {},
  ) {
    this.ttlMs = settings.reservationTtlMs ?? DEFAULT_SETTINGS.reservationTtlMs;
    this.unpaidLimit = settings.unpaidOrdersPerCustomer ?? DEFAULT_SETTINGS.unpaidOrdersPerCustomer;
    this.unpaidWindowMs = settings.unpaidWindowMs ?? DEFAULT_SETTINGS.unpaidWindowMs;
  }

  /**
   * All or nothing, in one transaction: conditional decrements can never oversell. A reservation
   * outlasting the orders subgraph's call (it stops at the call's deadline, but may commit just before) is
   * harmless: that order gets released, and the release, whichever comes first, leaves nothing reserved.
   * With the customer, a new reservation is refused (CONFLICT, reason UNPAID_ORDERS_LIMIT) while that
   * customer's unpaid orders hold the limit: one account cannot keep products sold out with orders it
   * never pays for. An order leaves the count when it is paid (`settle`) or cancelled (`release`), and
   * at the latest after UNPAID_ORDERS_WINDOW, by when orders has cancelled it if it was still unpaid.
   * A product with a `purchaseLimit` is refused (CONFLICT, reason PURCHASE_LIMIT) to a customer whose
   * orders not cancelled would then hold more of it than that: one account cannot buy up a small stock.
   */
  async reserve(ctx: RequestContext, id: string, items: unknown, customerId?: string | null): Promise<ReservedItem[]> {
    requireRole(ctx.principal, 'SERVICE');
    const data = validate(reserveSchema, { orderId: id, items, customerId: customerId ?? undefined });
    const unknown = data.items.find((item) => !isProductId(item.productId));
    if (unknown) throw new NotFoundError('Product', unknown.productId);

    const lines = await hotRowTransaction(this.db, ctx.deadline, async (tx) => {
      // Customer before order, in every transaction that takes both, so none can deadlock.
      if (data.customerId) await lockCustomer(tx, data.customerId);
      await lockOrder(tx, data.orderId);
      // A reservation arriving after its order's release (a call the orders subgraph gave up on)
      // would hold stock for an order that does not exist.
      if (await tx.stockRelease.findUnique({ where: { orderId: data.orderId } })) {
        throw new ConflictError(`Order ${data.orderId} was released; its stock cannot be reserved again`);
      }
      const existing = await tx.stockReservation.findMany({ where: { orderId: data.orderId } });
      if (existing.length > 0) {
        if (!sameItems(existing, data.items)) {
          throw new ConflictError(`Order ${data.orderId} already has a different reservation`);
        }
        return existing;
      }
      const since = new Date(Date.now() - this.unpaidWindowMs);
      if (data.customerId && (await unpaidOrdersOf(tx, data.customerId, since)) >= this.unpaidLimit) {
        unpaidOrdersLimitRefusals.inc();
        throw new ConflictError(
          `You hold ${this.unpaidLimit} unpaid orders, the most at once: pay for or cancel one to place another`,
          { reason: CUSTOMER_LIMIT.unpaidOrders, limit: this.unpaidLimit },
        );
      }
      // Rows are locked in id order in every transaction, so concurrent reservations cannot deadlock.
      const sorted = [...data.items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
      const reserved = [];
      for (const { productId, quantity } of sorted) {
        const [product] = await tx.product.updateManyAndReturn({
          where: { id: productId, inventory: { gte: quantity } },
          data: { inventory: { decrement: quantity } },
          select: { price: true, purchaseLimit: true },
        });
        if (!product) {
          const exists = (await tx.product.count({ where: { id: productId } })) > 0;
          throw exists ? new InsufficientStockError(productId) : new NotFoundError('Product', productId);
        }
        const limit = product.purchaseLimit;
        // Checked after the decrement, which the refusal rolls back: the row is read once, under its lock.
        if (limit !== null && data.customerId) {
          const held = (await unitsOf(tx, data.customerId, [productId])).get(productId) ?? 0;
          if (held + quantity > limit) {
            purchaseLimitRefusals.inc();
            throw new ConflictError(`At most ${limit} of product ${productId} per customer; your orders hold ${held}`, {
              reason: CUSTOMER_LIMIT.purchase,
              productId,
              limit,
              held,
            });
          }
        }
        reserved.push({
          orderId: data.orderId,
          productId,
          quantity,
          unitPrice: product.price,
          customerId: data.customerId ?? null,
        });
      }
      await tx.stockReservation.createMany({ data: reserved });
      await stockChanged(
        tx,
        reserved.map((line) => line.productId),
      );
      return reserved;
    });
    this.outbox?.kick();

    return data.items.map((item) => {
      const line = lines.find((candidate) => candidate.productId === item.productId);
      if (!line) throw new Error(`reservation of order ${data.orderId} lacks product ${item.productId}`);
      return { productId: line.productId, quantity: line.quantity, unitPrice: normalizeDecimal(line.unitPrice) };
    });
  }

  /**
   * How many more units of the product the signed-in caller may order under its purchase limit (the
   * same count `reserve` applies); null without a limit, or without a customer to count for.
   */
  async allowance(ctx: RequestContext, product: { id: string; purchaseLimit: number | null }): Promise<number | null> {
    if (product.purchaseLimit === null || !ctx.principal || ctx.principal.role === 'SERVICE') return null;
    const held = await this.unitsOfCaller(ctx).load(product.id);
    return Math.max(0, product.purchaseLimit - held);
  }

  /**
   * Gives the reserved quantities back once; true when the order had a reservation. The release
   * is recorded even when nothing was reserved yet, so that a late reservation is refused.
   * `unlessConfirmed`: the release of a create that failed, which must not undo an order the orders
   * sweep found stored after all; a confirmed reservation is kept (CONFLICT, reason `confirmed`).
   * Under the order's lock, so of this release and a confirmation exactly one wins.
   */
  async release(ctx: RequestContext, id: string, { unlessConfirmed = false } = {}): Promise<boolean> {
    requireRole(ctx.principal, 'SERVICE');
    const data = validate(z.object({ orderId }), { orderId: id });
    // Not bound by the caller's deadline: stock given back is owed whether or not anyone waits.
    const released = await hotRowTransaction(this.db, undefined, async (tx) => {
      await lockOrder(tx, data.orderId);
      const confirmed = { orderId: data.orderId, confirmedAt: { not: null }, releasedAt: null };
      if (unlessConfirmed && (await tx.stockReservation.count({ where: confirmed })) > 0) {
        throw new ConflictError(`The stock reservation of order ${data.orderId} is confirmed: the order was stored`, {
          reason: 'confirmed',
        });
      }
      const { lines, restored } = await releaseOrder(tx, data.orderId, 'released');
      return { reserved: lines.length > 0, restored: restored.length > 0 };
    });
    if (released.restored) this.outbox?.kick();
    return released.reserved;
  }

  /**
   * The order is stored: its stock is held until the order is cancelled, never expired. Idempotent.
   * CONFLICT (with `reason`) when the stock is no longer held: `expired`, `released`, or
   * `not-reserved`. Runs under the order's lock, so of a confirmation and the expiry exactly one wins.
   */
  async confirm(ctx: RequestContext, id: string): Promise<boolean> {
    requireRole(ctx.principal, 'SERVICE');
    const data = validate(z.object({ orderId }), { orderId: id });
    await hotRowTransaction(this.db, ctx.deadline, async (tx) => {
      await lockOrder(tx, data.orderId);
      const release = await tx.stockRelease.findUnique({ where: { orderId: data.orderId } });
      if (release) {
        const what = release.reason === 'expired' ? 'expired unconfirmed' : 'was released';
        throw new ConflictError(`The stock reservation of order ${data.orderId} ${what}`, { reason: release.reason });
      }
      const { count } = await tx.stockReservation.updateMany({
        where: { orderId: data.orderId, confirmedAt: null },
        data: { confirmedAt: new Date() },
      });
      if (count === 0 && (await tx.stockReservation.count({ where: { orderId: data.orderId } })) === 0) {
        throw new ConflictError(`Order ${data.orderId} has no stock reservation`, { reason: 'not-reserved' });
      }
    });
    return true;
  }

  /**
   * The order was paid (payment.succeeded): its reservation no longer counts against its customer's
   * unpaid orders. Idempotent; an order without a reservation here (one placed before the limit,
   * say) changes nothing.
   */
  async settle(orderId: string): Promise<void> {
    await this.db.stockReservation.updateMany({ where: { orderId, settledAt: null }, data: { settledAt: new Date() } });
  }

  /**
   * One pass of the expiry job: releases reservations left unconfirmed longer than the TTL, and
   * returns their order ids. Safe in any number of replicas at once: each order is re-checked under
   * its lock, so its stock goes back once, and a confirmation that got the lock first keeps it.
   */
  async expireStale(ctx: SystemContext, now = new Date()): Promise<string[]> {
    const cutoff = new Date(now.getTime() - this.ttlMs);
    const stale = await this.db.stockReservation.groupBy({
      by: ['orderId'],
      where: { confirmedAt: null, releasedAt: null, createdAt: { lte: cutoff } },
      orderBy: { orderId: 'asc' },
      take: EXPIRY_BATCH,
    });
    const expired: string[] = [];
    for (const { orderId: staleId } of stale) {
      try {
        if (!(await this.expireOrder(staleId, cutoff))) continue;
        expired.push(staleId);
        stockReservationsExpired.inc();
      } catch (error) {
        // One order's failure does not hold back the others in the batch; the next pass retries it.
        ctx.log.error({ err: error, orderId: staleId }, 'stock reservation not expired; the next pass retries');
      }
    }
    if (expired.length > 0) {
      this.outbox?.kick();
      ctx.log.warn({ orderIds: expired, ttlMs: this.ttlMs }, 'released stock reservations no order confirmed');
    }
    return expired;
  }

  /** Reservations the expiry job should have released by `now` (the reservation gauge), one per product line. */
  countOverdue(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.ttlMs);
    return this.db.stockReservation.count({
      where: { confirmedAt: null, releasedAt: null, createdAt: { lte: cutoff } },
    });
  }

  /** Releases the order's reservation if it is still wholly unconfirmed and older than `cutoff`. */
  private expireOrder(orderId: string, cutoff: Date): Promise<boolean> {
    return hotRowTransaction(this.db, undefined, async (tx) => {
      await lockOrder(tx, orderId);
      const lines = await tx.stockReservation.findMany({ where: { orderId } });
      const pending = lines.filter((line) => !line.confirmedAt && !line.releasedAt && line.createdAt <= cutoff);
      // Confirmed or released meanwhile (lines of one order change together).
      if (pending.length === 0 || pending.length !== lines.length) return false;
      return (await releaseOrder(tx, orderId, 'expired')).restored.length > 0;
    });
  }
}
