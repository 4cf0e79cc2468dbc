import { orderUpdated } from '@shop/events';
import { ConflictError, hourOf, NotFoundError } from '@shop/platform/core';
import { type OutboxWakeUp, withDocumentLock, writtenFirst } from '@shop/platform/mongo';
import { LRUCache } from 'lru-cache';
import { OrderModel, type OrderRecord } from './order.model.js';
import { OrderStatus } from './order.type.js';
import { OrderHourTouchModel } from './order-hour.model.js';
import type { OrderHourRegistry } from './order-hour.registry.js';
import type { OrderState } from './order-status.machine.js';
import { OrderTransitionModel, type OrderTransitionRecord, transitionId } from './order-transition.model.js';

export type StoredOrder = Omit<OrderRecord, 'pendingEvents'>;
type Stored = StoredOrder;

/**
 * The life cycle's next state; `releasesRequestKey` when it cancels an order whose create never
 * completed (see OrderTransitionRecord).
 */
export type Decision = OrderState & { releasesRequestKey?: boolean };

/** The life cycle's decision on an order's current state: the next state, or null for no change. */
export type Decide = (current: Stored) => Decision | null | Promise<Decision | null>;

/** The consumed event a transition applies (see `move`). */
export interface Cause {
  id: string;
  recordIf?: () => boolean;
  fromLastKnown?: boolean;
}

export interface Moved {
  record: Stored;
  /** True when this call's claim moved the order (a loser, or no change, is false). */
  won: boolean;
}

/** Optimistic retries when another writer changed the order between our read and our update. */
const MAX_ATTEMPTS = 3;

/** How many recent orders, and for how long, this process remembers the state it last wrote or read. */
const LAST_KNOWN = { max: 10_000, ttl: 5 * 60_000 } as const;

/**
 * Writes an order's transitions: each claimed in `order_transitions` first, then applied with its
 * order.updated event in one update of the order (OrderService decides them).
 */
export class OrderTransitionWriter {
  /**
   * The state this process last wrote or read of recent orders: a payment event decides from it
   * without a read of its own (see `move`). Never what a caller is answered with.
   */
  private readonly lastKnown = new LRUCache<string, Stored>(LAST_KNOWN);

  constructor(
    private readonly outbox: OutboxWakeUp,
    private readonly hours: OrderHourRegistry,
  ) {}

  /** An order as this process has just stored it. */
  remember(record: Stored): void {
    this.lastKnown.set(record._id, record);
  }

  /** The order as stored now (without its outbox), remembered as its last known state. */
  private async load(id: string): Promise<Stored> {
    const record = await OrderModel.findById(id).select('-pendingEvents').lean<Stored>();
    if (!record) throw new NotFoundError('Order', id);
    this.lastKnown.set(id, record);
    return record;
  }

  /**
   * Moves the order to `decide`'s new state with its order.updated event in one update. Of several
   * writers deciding on the same state (in this process or another replica) only the one whose
   * claim insert succeeds wins; the others make sure the winner's change is applied and decide again.
   * `decide` returning null means nothing to change (e.g. a redelivered event).
   *
   * `cause`: the event this transition applies. Its id is recorded in the order with the change
   * (`appliedEventIds`, unless `recordIf` says the event's effect is not complete with it), so the
   * order is its consumer's processed-event marker: a delivery of an applied event changes nothing,
   * at the cost of the read the decision makes anyway.
   *
   * `fromLastKnown`: the first decision is made from the state this process last wrote or read, with
   * no read of its own. The claim makes that safe: an order never returns to a state it left, and it
   * left each through a claim, so a decision from a state the order has left loses its insert and is
   * made again from a read. Only a win, or the event found applied, is final there: a decision that
   * changes nothing or refuses may be the state's age speaking, and is made again from a read.
   */
  async move(id: string, decide: Decide, cause?: Cause): Promise<Moved> {
    const known = cause?.fromLastKnown ? this.lastKnown.get(id) : undefined;
    if (cause && known) {
      const outcome = await this.decideAndClaim(known, decide, cause).catch(() => undefined);
      if (outcome && (outcome.won || known.appliedEventIds?.includes(cause.id))) return outcome;
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await this.decideAndClaim(await this.load(id), decide, cause);
      if (outcome) return outcome;
    }
    throw new ConflictError('Order changed concurrently, try again');
  }

  /** One decision from `current` and its claim: the outcome, or undefined when another writer's claim won. */
  private async decideAndClaim(current: Stored, decide: Decide, cause?: Cause): Promise<Moved | undefined> {
    const id = current._id;
    if (cause && current.appliedEventIds?.includes(cause.id)) return { record: current, won: false };
    const decision = await decide(current);
    if (!decision) return { record: current, won: false };
    const { releasesRequestKey, ...next } = decision;
    const from = { status: current.status, paymentStatus: current.paymentStatus };
    const createdAt = new Date();
    const claim: OrderTransitionRecord = {
      _id: transitionId(id, from),
      orderId: id,
      from,
      to: next,
      event: orderUpdated.create({
        orderId: id,
        userId: current.userId,
        previousStatus: current.status,
        status: next.status,
        paymentStatus: next.paymentStatus,
      }),
      ...(cause && (cause.recordIf?.() ?? true) ? { causeEventId: cause.id } : {}),
      ...(releasesRequestKey ? { releasesRequestKey } : {}),
      createdAt,
      createdHour: hourOf(createdAt),
      orderHour: current.createdHour,
    };
    // The claim's hour counts it (countWithStatus): registered before it, as for an order's insert.
    await this.hours.ensure(createdAt);
    if (!(await writtenFirst(() => OrderTransitionModel.create(claim)))) {
      const winner = await OrderTransitionModel.findById(claim._id).lean<OrderTransitionRecord>();
      // Rolls the winner's change forward in case its writer died between claim and update.
      if (winner) await this.apply(winner);
      return undefined;
    }
    const applied = await this.apply(claim);
    // Null: a loser rolled our claim forward first; the change is there all the same.
    return { record: applied ?? (await this.load(id)), won: true };
  }

  /**
   * Idempotent: matches only the claim's starting state. Applying one claim twice at once (possible
   * across replicas on FerretDB) writes the same state and the same event id, which consumers dedupe.
   */
  private async apply(claim: OrderTransitionRecord): Promise<Stored | null> {
    const { from, to } = claim;
    // Applied in a later hour than it was claimed in: that hour's claims do not show the change, so
    // a touch does, before the update (should it fail, the touch only costs a count) and again after
    // it when the hour has changed meanwhile.
    const touched = new Date();
    if (hourOf(touched) > claim.createdHour) await touchHourOf(claim, touched);
    const cancels = to.status === OrderStatus.CANCELLED && from.status !== OrderStatus.CANCELLED;
    const updated = await withDocumentLock(OrderModel.collection.name, claim.orderId, () =>
      OrderModel.findOneAndUpdate(
        { _id: claim.orderId, status: from.status, paymentStatus: from.paymentStatus },
        {
          $set: {
            status: to.status,
            paymentStatus: to.paymentStatus,
            ...(to.paymentId ? { paymentId: to.paymentId } : {}),
            ...(cancels ? { stockReleased: false } : {}),
            // recordPaymentSucceeded has made sure products holds the stock of an order it pays.
            ...(to.status === OrderStatus.PAID ? { stockConfirmed: true } : {}),
          },
          $push: {
            pendingEvents: claim.event,
            ...(claim.causeEventId ? { appliedEventIds: claim.causeEventId } : {}),
          },
          ...(claim.releasesRequestKey ? { $unset: { idempotencyKey: 1, requestFingerprint: 1 } } : {}),
        },
        // No projection: FerretDB does not support one on findAndModify.
        { returnDocument: 'after' },
      ).lean<OrderRecord>(),
    );
    if (!updated) return null;
    const applied = new Date();
    if (hourOf(applied) > claim.createdHour && hourOf(applied) !== hourOf(touched)) await touchHourOf(claim, applied);
    const { pendingEvents, ...record } = updated;
    this.lastKnown.set(claim.orderId, record);
    this.outbox.kick({ model: OrderModel, id: claim.orderId, pendingEvents });
    return record;
  }
}

/** Records that `claim`'s order changed status in `now`'s hour (see OrderHourTouchRecord); once per claim and hour. */
async function touchHourOf(claim: OrderTransitionRecord, now: Date): Promise<void> {
  if (claim.from.status === claim.to.status) return;
  const orderHour =
    claim.orderHour ??
    (await OrderModel.findById(claim.orderId).select({ createdHour: 1 }).lean<Pick<Stored, 'createdHour'>>())
      ?.createdHour;
  if (orderHour === undefined) return;
  const hour = hourOf(now);
  await writtenFirst(() => OrderHourTouchModel.create({ _id: `${claim._id}@${hour}`, orderHour, createdHour: hour }));
}
