// Which hours hold orders of a status, so that an admin's listing of one status skips the hours
// with none instead of reading every hour back to the first (order-hour.registry.ts reads a status
// with many orders an hour at a time). Counts, not increments: each closed hour's orders are
// counted by status (`inStatus`), and counted again once a later hour in which one of them moved
// on is closed; the watermark says up to which closed hour that is done. A listing skips an hour
// whose count has none of the status and none of whose orders moved on after the watermark (the
// claims and touches of the hours since, read when a skip is first considered). An order never
// returns to a status it left, so an order in a status now was in it at its hour's last count, or
// moved into it after the watermark.
import { hourOf } from '@shop/platform/core';
import { findAnyOf, writtenFirst } from '@shop/platform/mongo';
import { OrderModel } from './order.model.js';
import { OrderStatus } from './order.type.js';
import { inBatches } from './order-hour.batches.js';
import {
  OrderHourModel,
  OrderHourTouchModel,
  type OrderHourTouchRecord,
  OrderHourWatermarkModel,
  type StatusNet,
} from './order-hour.model.js';
import { OrderTransitionModel, type OrderTransitionRecord } from './order-transition.model.js';

/** The watermark's `_id` in `order_hour_watermarks`. */
const WATERMARK = 'inStatus';
/**
 * A count that took longer than this is not written: it may be older than a count of the same hour
 * another replica wrote meanwhile. The pass fails and the next one counts again.
 */
const STALE_COUNT_MS = 60_000;
/** A watermark further behind than this (the job has failed for a day): no hour is skipped. */
const MAX_HOURS_BEHIND = 24;

/** What the listing and the job read of the registry's copy of the hours (see OrderHourRegistry.statusView). */
export interface StatusHoursView {
  /** Up to which closed hour the counts are kept; undefined before the first count. */
  watermark: number | undefined;
  /** The counted hours' orders by status. */
  inStatus: ReadonlyMap<number, StatusNet>;
}

/** What the job needs of the registry. */
export interface StatusHoursRecorder {
  /** Closed hours that may hold orders and have never been counted by status. */
  uncountedByStatus(lastClosed: number): Promise<number[]>;
  noteInStatus(hour: number, inStatus: StatusNet): void;
  /**
   * Reads the watermark and the counts again. A copy's watermark is only ever read before its
   * counts: a watermark newer than the counts would skip hours another replica counted again.
   */
  reload(): Promise<void>;
}

export async function readWatermark(): Promise<number | undefined> {
  return (await OrderHourWatermarkModel.findById(WATERMARK).lean())?.hour;
}

/**
 * The job's part, on the orders hours' schedule: counts each closed hour by status once (every
 * closed hour on the first run), then, one closed hour after the watermark at a time, counts again
 * the hours whose orders moved on in it and moves the watermark past it. Safe in every replica at
 * once: counts are written whole, and the watermark only moves forward.
 */
export async function countHoursByStatus(recorder: StatusHoursRecorder, lastClosed: number): Promise<void> {
  let watermark = await readWatermark();
  if (watermark === undefined) {
    // The first run: every closed hour is counted below, after every change made in one.
    watermark = lastClosed;
    await moveWatermark(watermark);
  }
  const count = async (hour: number) => recorder.noteInStatus(hour, await countAndRecord(hour));
  // An hour never counted is never skipped: one whose count fails waits for the next pass, and the
  // watermark goes on. One counted again must be, before the watermark passes the hour that moved it.
  const uncounted: unknown[] = [];
  const never = await recorder.uncountedByStatus(lastClosed);
  await inBatches(never, (hour) => count(hour).catch((error) => void uncounted.push(error)));
  for (let hour = watermark + 1; hour <= lastClosed; hour++) {
    await inBatches([...(await hoursMovedIn(hour))], count);
    await moveWatermark(hour);
  }
  // The copy the listings read: its watermark only ever read with (before) its counts.
  if (never.length > 0 || lastClosed > watermark) await recorder.reload();
  if (uncounted.length > 0) {
    throw new AggregateError(
      uncounted,
      `${uncounted.length} closed hours not counted by status; the next pass retries`,
    );
  }
}

/**
 * For a listing of `status`: whether an hour holds none of it for sure. The hours whose orders
 * moved on since the watermark are read once, when the first hour that may be skipped comes up, so
 * a page filled from the newest hours reads nothing more.
 */
export function holdsNone(status: OrderStatus, view: StatusHoursView, now: Date): (hour: number) => Promise<boolean> {
  const { watermark } = view;
  const current = hourOf(now);
  let moved: Promise<Set<number>> | undefined;
  return async (hour) => {
    const counted = view.inStatus.get(hour);
    if (watermark === undefined || current - watermark > MAX_HOURS_BEHIND) return false;
    if (counted === undefined || (counted[status] ?? 0) > 0) return false;
    // Up to the next hour: a replica whose clock runs ahead may write there already.
    const since = Math.max(0, current + 1 - watermark);
    moved ??= unionOf(Array.from({ length: since }, (_, i) => hoursMovedIn(watermark + 1 + i)));
    return !(await moved).has(hour);
  };
}

/** Counts the orders of `hour` by status and records the count, unless it took too long. */
async function countAndRecord(hour: number): Promise<StatusNet> {
  const started = Date.now();
  const orders = await OrderModel.find({ createdHour: hour })
    .select({ _id: 0, status: 1 })
    .lean<{ status: OrderStatus }[]>();
  if (Date.now() - started > STALE_COUNT_MS) throw new Error(`the count of hour ${hour} took too long to record`);
  const inStatus: StatusNet = Object.fromEntries(Object.values(OrderStatus).map((status) => [status, 0]));
  for (const { status } of orders) inStatus[status] = (inStatus[status] ?? 0) + 1;
  // Each status by its own path: FerretDB 1.24 leaves an embedded document as it was when the new
  // one holds the same values under other keys ({PENDING: 1} set to {PAID: 1}).
  const fields = Object.fromEntries(Object.entries(inStatus).map(([status, count]) => [`inStatus.${status}`, count]));
  await OrderHourModel.updateOne({ _id: hour }, { $set: fields });
  return inStatus;
}

/** The hours of the orders that moved to another status in `hour`: its claims' and touches'. */
async function hoursMovedIn(hour: number): Promise<Set<number>> {
  const [claims, touches] = await Promise.all([
    OrderTransitionModel.find({ createdHour: hour })
      .select({ _id: 0, orderId: 1, orderHour: 1, 'from.status': 1, 'to.status': 1 })
      .lean<Pick<OrderTransitionRecord, 'orderId' | 'orderHour' | 'from' | 'to'>[]>(),
    OrderHourTouchModel.find({ createdHour: hour })
      .select({ _id: 0, orderHour: 1 })
      .lean<Pick<OrderHourTouchRecord, 'orderHour'>[]>(),
  ]);
  const moved = new Set(touches.map((touch) => touch.orderHour));
  const unknown: string[] = [];
  for (const { orderId, orderHour, from, to } of claims) {
    // A claim within one status (a failed payment of a PENDING order) moves no count.
    if (from.status === to.status) continue;
    if (orderHour === undefined) unknown.push(orderId);
    else moved.add(orderHour);
  }
  // Claims written before they carried their order's hour (a replica of the previous version).
  const orders = await findAnyOf(unknown, (match) =>
    OrderModel.find({ _id: match }).select({ createdHour: 1 }).lean<{ createdHour: number }[]>(),
  );
  for (const { createdHour } of orders) moved.add(createdHour);
  return moved;
}

/** Moves the watermark to `hour` unless it is there or further already. */
async function moveWatermark(hour: number): Promise<void> {
  // Replicas starting together on a new database: FerretDB refuses the second upsert's insert.
  await writtenFirst(() => OrderHourWatermarkModel.updateOne({ _id: WATERMARK }, { $max: { hour } }, { upsert: true }));
}

async function unionOf(sets: Promise<Set<number>>[]): Promise<Set<number>> {
  return new Set((await Promise.all(sets)).flatMap((set) => [...set]));
}
