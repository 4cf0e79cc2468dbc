import type { Logger } from '@shop/platform/core';
import { type Buckets, isDuplicateKeyError } from '@shop/platform/mongo';
import { OrderModel } from './order.model.js';
import { hourOf, OrderHourModel, OrderMigrationModel } from './order-hour.model.js';

/** How long after its end an hour is closed and its count final: replicas' clocks and inserts in flight. */
const CLOSING_GRACE_MS = 10 * 60_000;
/** How old this process's copy of the hours may grow before it is read again. */
const RELOAD_AFTER_MS = 60 * 60_000;
/** Hours counted at once when many are counted for the first time (after a backfill). */
const COUNT_CONCURRENCY = 10;
const BACKFILL_BATCH = 500;

/** The backfill's name in `order_migrations`. */
export const CREATED_HOUR_BACKFILL = 'orders.createdHour';

/** The newest hour whose count is final at `now`. */
export const lastClosedHour = (now: Date): number => hourOf(new Date(now.getTime() - CLOSING_GRACE_MS)) - 1;

/**
 * The hours all orders are listed and counted by (`order_hours`): all orders newest first is one
 * equality lookup per hour, and their number is the closed hours' recorded counts plus a count of
 * the open ones, so neither reads the whole collection on FerretDB, where a sort or an unfiltered
 * count would. Every orders process registers the current and the next hour ahead of any order:
 * on its schedule (OrderHoursJob, a pass at start) and, should that have failed, before an order's
 * insert. Each process keeps a copy of the hours, read again hourly: the hours only grow, and a
 * closed hour's count never changes.
 */
export class OrderHourRegistry implements Buckets {
  readonly field = 'createdHour';
  readonly bucketOf = hourOf;
  /** Hour → its recorded count (undefined while open or not counted yet). */
  private readonly hours = new Map<number, number | undefined>();
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
      this.hours.set(hour, undefined);
    }
  }

  /** The hours that may hold orders, up to `hour` (all without it), newest first; closed empty ones left out. */
  async through(hour = Number.POSITIVE_INFINITY): Promise<number[]> {
    await this.fresh();
    const candidates: number[] = [];
    for (const [candidate, count] of this.hours) if (candidate <= hour && count !== 0) candidates.push(candidate);
    return candidates.sort((a, b) => b - a);
  }

  /** All orders: each closed hour counted once and its count recorded, the open ones counted now. */
  async count(now = this.clock()): Promise<number> {
    await this.fresh();
    const lastClosed = lastClosedHour(now);
    let total = 0;
    const uncounted: number[] = [];
    for (const [hour, count] of this.hours) {
      if (count === undefined) uncounted.push(hour);
      else total += count;
    }
    for (let start = 0; start < uncounted.length; start += COUNT_CONCURRENCY) {
      const counts = await Promise.all(
        uncounted.slice(start, start + COUNT_CONCURRENCY).map(async (hour) => {
          const counted = await OrderModel.countDocuments({ createdHour: hour });
          if (hour <= lastClosed) {
            // Concurrent writers record the same number: a lost update loses nothing.
            await OrderHourModel.updateOne({ _id: hour }, { $set: { count: counted } });
            this.hours.set(hour, counted);
          }
          return counted;
        }),
      );
      total += counts.reduce((sum, count) => sum + count, 0);
    }
    return total;
  }

  /**
   * At start, until done: gives orders stored without `createdHour` (before hours existed, or by a
   * replica of the previous version during a rolling update) their hour, and registers those hours.
   * It reads the whole collection, so it is recorded as done (`order_migrations`) by the first
   * start that finds no such order. Replicas starting together repeat each other's writes harmlessly.
   */
  async backfill(log: Logger): Promise<void> {
    if (await OrderMigrationModel.exists({ _id: CREATED_HOUR_BACKFILL })) return;
    const hours = new Set<number>();
    let updated = 0;
    let batch: { _id: string; createdAt: Date }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await OrderModel.bulkWrite(
        batch.map(({ _id, createdAt }) => ({
          updateOne: { filter: { _id }, update: { $set: { createdHour: hourOf(createdAt) } } },
        })),
        { ordered: false },
      );
      updated += batch.length;
      batch = [];
    };
    const stored = OrderModel.find({ createdHour: { $exists: false } })
      .select('_id createdAt')
      .lean<{ _id: string; createdAt: Date }[]>()
      .cursor();
    for await (const order of stored) {
      hours.add(hourOf(order.createdAt));
      batch.push(order);
      if (batch.length >= BACKFILL_BATCH) await flush();
    }
    await flush();
    for (const hour of hours) await register(hour);
    if (updated > 0) {
      log.info({ orders: updated, hours: hours.size }, 'orders given their listing hour');
      return;
    }
    await OrderMigrationModel.updateOne(
      { _id: CREATED_HOUR_BACKFILL },
      { $set: { doneAt: new Date() } },
      { upsert: true },
    );
  }

  /** Reads the hours again when this copy is older than RELOAD_AFTER_MS (one read for concurrent callers). */
  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt < RELOAD_AFTER_MS) return;
    this.loading ??= (async () => {
      const stored = await OrderHourModel.find().lean<{ _id: number; count?: number }[]>();
      // Merged, not replaced: an hour registered here while the read ran may be missing from it,
      // and a registered hour, like a recorded count, never goes away.
      for (const { _id, count } of stored) this.hours.set(_id, count ?? this.hours.get(_id));
      this.loadedAt = Date.now();
    })().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }
}

/** Inserts the hour unless a process did already. */
async function register(hour: number): Promise<void> {
  try {
    await OrderHourModel.create({ _id: hour });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}
