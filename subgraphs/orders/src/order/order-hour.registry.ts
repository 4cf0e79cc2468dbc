import type { Logger } from '@shop/platform/core';
import { hourOf } from '@shop/platform/core';
import {
  type Buckets,
  MAX_UPDATES_PER_COMMAND,
  type PageArgs,
  pageNewestFirst,
  pageNewestFirstByBucket,
  writtenFirst,
} from '@shop/platform/mongo';
import type { Connection } from '@shop/platform/subgraph';
import type { Model } from 'mongoose';
import { OrderModel, type OrderRecord } from './order.model.js';
import { type OrderStatus } from './order.type.js';
import { inBatches } from './order-hour.batches.js';
import { addToStatusNet, OrderHourModel, OrderMigrationModel, type StatusNet } from './order-hour.model.js';
import { holdsNone, readWatermark, type StatusHoursRecorder } from './order-status-hours.js';
import { OrderTransitionModel, type OrderTransitionRecord } from './order-transition.model.js';

/** How long after its end an hour is closed and its count final: replicas' clocks and inserts in flight. */
const CLOSING_GRACE_MS = 10 * 60_000;
/** How old this process's copy of the hours may grow before it is read again. */
const RELOAD_AFTER_MS = 60 * 60_000;
/**
 * A status is read at once up to this many orders (one indexed equality, sorted by the server),
 * and an hour at a time beyond, where reading them all would grow with the history.
 */
const FEW_TO_READ_AT_ONCE = 1_000;

/** The backfills' names in `order_migrations`. */
export const CREATED_HOUR_BACKFILL = 'orders.createdHour';
export const TRANSITION_HOUR_BACKFILL = 'order_transitions.createdHour';

/** An hour's recorded figures (absent while open, or not counted yet). */
interface Tally {
  count?: number;
  statusNet?: StatusNet;
  /** Its orders by status at their last count (order-status-hours.ts). */
  inStatus?: StatusNet;
}

/** The newest hour whose count is final at `now`. */
export const lastClosedHour = (now: Date): number => hourOf(new Date(now.getTime() - CLOSING_GRACE_MS)) - 1;

/**
 * The hours all orders are listed and counted by (`order_hours`): all orders newest first is one
 * equality lookup per hour, and their number is the closed hours' recorded counts plus a count of
 * the open ones, so neither reads the whole collection on FerretDB, where a sort or an unfiltered
 * count would. Every orders process registers the current and the next hour ahead of any order:
 * on its schedule (OrderHoursJob, a pass at start) and, should that have failed, before an order's
 * insert, and before a transition's claim. Each process keeps a copy of the hours, read again
 * hourly: the hours only grow, and a closed hour's figures never change.
 *
 * The orders of one status are counted the same way, from what each hour did to each status (the
 * orders placed in it, and its transitions out of one status and into another): the claims are
 * never changed, so a closed hour's part is final, where a count by status per hour of placing
 * would change whenever an old order moved on. A claim counts from its insert: for the moments
 * until its change is applied, or should its writer die, until the next decision on that order
 * rolls it forward, the count is ahead of the order.
 */
export class OrderHourRegistry implements Buckets, StatusHoursRecorder {
  readonly field = 'createdHour';
  readonly bucketOf = hourOf;
  /** Hour → its recorded figures. */
  private readonly hours = new Map<number, Tally>();
  /** How far the hours' `inStatus` is kept, as read with them (order-status-hours.ts). */
  private watermark: number | undefined;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  /** `clock`: what `count` takes as now (a benchmark's history has its own). */
  constructor(private readonly clock = () => new Date()) {}

  /** Makes sure `now`'s hour and the next are registered; a command only when one is new here. */
  async ensure(now = new Date()): Promise<void> {
    const current = hourOf(now);
    for (const hour of [current, current + 1]) {
      if (this.hours.has(hour)) continue;
      await register(hour);
      this.hours.set(hour, {});
    }
  }

  /** The hours that may hold orders, up to `hour` (all without it), newest first; closed empty ones left out. */
  async through(hour = Number.POSITIVE_INFINITY): Promise<number[]> {
    await this.fresh();
    const candidates: number[] = [];
    for (const [candidate, { count }] of this.hours) if (candidate <= hour && count !== 0) candidates.push(candidate);
    return candidates.sort((a, b) => b - a);
  }

  /**
   * An admin's page of all orders, or of those in `status`, newest first: an hour at a time, but for
   * a status with few orders, which are read at once by their index.
   */
  async page<N>(
    args: PageArgs,
    toNode: (record: Omit<OrderRecord, 'pendingEvents'>) => N,
    status?: OrderStatus,
  ): Promise<Connection<N>> {
    if (!status)
      return pageNewestFirstByBucket(OrderModel, this, { filter: {}, count: () => this.count() }, args, toNode);
    const totalCount = await this.countWithStatus(status);
    const count = async () => totalCount;
    if (totalCount <= FEW_TO_READ_AT_ONCE) return pageNewestFirst(OrderModel, { status }, args, toNode, count);
    // Hours with none of the status are skipped: its last orders need not be looked for in every hour back.
    const inStatus = new Map<number, StatusNet>();
    for (const [hour, tally] of this.hours) if (tally.inStatus) inStatus.set(hour, tally.inStatus);
    const buckets: Buckets = {
      field: this.field,
      bucketOf: this.bucketOf,
      through: (hour) => this.through(hour),
      skips: holdsNone(status, { watermark: this.watermark, inStatus }, this.clock()),
    };
    return pageNewestFirstByBucket(OrderModel, buckets, { filter: { status }, count }, args, toNode);
  }

  async uncountedByStatus(lastClosed: number): Promise<number[]> {
    await this.fresh();
    const uncounted: number[] = [];
    for (const [hour, { count, inStatus }] of this.hours) {
      if (hour <= lastClosed && count !== 0 && !inStatus) uncounted.push(hour);
    }
    return uncounted;
  }

  noteInStatus(hour: number, inStatus: StatusNet): void {
    this.hours.set(hour, { ...this.hours.get(hour), inStatus });
  }

  async reload(): Promise<void> {
    this.loadedAt = Number.NEGATIVE_INFINITY;
    await this.fresh();
  }

  /** All orders: each closed hour counted once and its count recorded, the open ones counted now. */
  async count(now = this.clock()): Promise<number> {
    return this.sum(
      now,
      (tally) => tally.count,
      async (hour) => {
        const count = await OrderModel.countDocuments({ createdHour: hour });
        return { value: count, record: { count } };
      },
    );
  }

  /** The orders now in `status`: each closed hour's part recorded once, the open ones' counted now. */
  async countWithStatus(status: OrderStatus, now = this.clock()): Promise<number> {
    return this.sum(
      now,
      (tally) => tally.statusNet && (tally.statusNet[status] ?? 0),
      async (hour) => {
        // A closed hour's count, when recorded (OrderHoursJob counts first), is its orders placed.
        const statusNet = await statusNetOf(hour, this.hours.get(hour)?.count);
        return { value: statusNet[status] ?? 0, record: { statusNet } };
      },
    );
  }

  /** Every hour's figure: recorded, or counted now (and recorded once the hour is closed). */
  private async sum(
    now: Date,
    recorded: (tally: Tally) => number | undefined,
    tally: (hour: number) => Promise<{ value: number; record: Tally }>,
  ): Promise<number> {
    await this.fresh();
    const lastClosed = lastClosedHour(now);
    let total = 0;
    const uncounted: number[] = [];
    for (const [hour, figures] of this.hours) {
      const value = recorded(figures);
      if (value === undefined) uncounted.push(hour);
      else total += value;
    }
    const values = await inBatches(uncounted, async (hour) => {
      const { value, record } = await tally(hour);
      if (hour <= lastClosed) {
        // Concurrent writers record the same figures. A lost update (FerretDB's, with another
        // write of this hour) loses a figure for now: one missing is counted again.
        await OrderHourModel.updateOne({ _id: hour }, { $set: record });
        this.hours.set(hour, { ...this.hours.get(hour), ...record });
      }
      return value;
    });
    total += values.reduce((sum, value) => sum + value, 0);
    return total;
  }

  /**
   * At start, until done: gives orders and transitions stored without `createdHour` (before hours
   * existed, or by a replica of the previous version during a rolling update) their hour, and
   * registers those hours. It reads the whole collection, so each is recorded as done
   * (`order_migrations`) by the first start that finds nothing to fill. Replicas starting together
   * repeat each other's writes harmlessly.
   */
  async backfill(log: Logger): Promise<void> {
    await fillHours(OrderModel, CREATED_HOUR_BACKFILL, log);
    await fillHours(OrderTransitionModel, TRANSITION_HOUR_BACKFILL, log);
  }

  /** Reads the hours again when this copy is older than RELOAD_AFTER_MS (one read for concurrent callers). */
  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt < RELOAD_AFTER_MS) return;
    this.loading ??= (async () => {
      // The watermark before the counts: counts read after it are at least as far on.
      const watermark = await readWatermark();
      const stored = await OrderHourModel.find().lean<({ _id: number } & Tally)[]>();
      // Merged, not replaced: an hour registered here while the read ran may be missing from it,
      // and a registered hour, like a recorded figure, never goes away.
      for (const { _id, count, statusNet, inStatus } of stored) {
        const known = this.hours.get(_id);
        this.hours.set(_id, {
          count: count ?? known?.count,
          statusNet: statusNet ?? known?.statusNet,
          inStatus: inStatus ?? known?.inStatus,
        });
      }
      this.watermark = watermark;
      this.loadedAt = Date.now();
    })().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }
}

/** Inserts the hour unless a process did already. */
async function register(hour: number): Promise<void> {
  await writtenFirst(() => OrderHourModel.create({ _id: hour }));
}

/**
 * What `hour` did to each status: its orders placed, in PENDING (`placed`, when already counted),
 * and its transitions between statuses.
 */
async function statusNetOf(hour: number, placed?: number): Promise<StatusNet> {
  const [orders, transitions] = await Promise.all([
    placed ?? OrderModel.countDocuments({ createdHour: hour }),
    OrderTransitionModel.find({ createdHour: hour })
      .select({ 'from.status': 1, 'to.status': 1 })
      .lean<Pick<OrderTransitionRecord, 'from' | 'to'>[]>(),
  ]);
  const net: StatusNet = orders > 0 ? { PENDING: orders } : {};
  for (const { from, to } of transitions) addToStatusNet(net, to.status, from.status);
  return net;
}

/** Sets `createdHour` from `createdAt` where it is missing (see `backfill`), registering each hour first. */
async function fillHours(
  // biome-ignore lint/suspicious/noExplicitAny: orders or their transitions, both with _id and createdAt
  model: Model<any>,
  migration: string,
  log: Logger,
): Promise<void> {
  if (await OrderMigrationModel.exists({ _id: migration })) return;
  const hours = new Set<number>();
  let updated = 0;
  let batch: { _id: string; createdAt: Date }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    // Each hour is registered before any document is given it: a start stopped midway (killed,
    // a failed write) leaves no document in an hour the listings do not read, and the next start
    // no longer finds the documents it gave their hour.
    for (const { createdAt } of batch) {
      const hour = hourOf(createdAt);
      if (!hours.has(hour)) await register(hour);
      hours.add(hour);
    }
    await model.bulkWrite(
      batch.map(({ _id, createdAt }) => ({
        updateOne: { filter: { _id }, update: { $set: { createdHour: hourOf(createdAt) } } },
      })),
      { ordered: false },
    );
    updated += batch.length;
    batch = [];
  };
  const stored = model
    .find({ createdHour: { $exists: false } })
    .select('_id createdAt')
    .lean<{ _id: string; createdAt: Date }[]>()
    .cursor();
  for await (const document of stored) {
    batch.push(document);
    if (batch.length >= MAX_UPDATES_PER_COMMAND) await flush();
  }
  await flush();
  if (updated > 0) {
    log.info(
      { collection: model.collection.name, documents: updated, hours: hours.size },
      'documents given their hour',
    );
    return;
  }
  // Another replica starting at the same moment may mark it first: FerretDB refuses the second
  // upsert's insert (the scaled deploy smoke's two orders replicas, on a new database: ci146).
  await writtenFirst(() =>
    OrderMigrationModel.updateOne({ _id: migration }, { $set: { doneAt: new Date() } }, { upsert: true }),
  );
}
