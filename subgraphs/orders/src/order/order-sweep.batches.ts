import type { QueryFilter } from 'mongoose';
import { OrderModel, type OrderRecord } from './order.model.js';

/** Orders read per query of a sweep step. */
export const SWEEP_BATCH = 100;
/** 1,000 orders per step and pass: about 33 a second at the default 30 s interval, per replica. */
const SWEEP_BATCHES_PER_PASS = 10;

/** What a sweep step's handler answers for an order it left as it is, on purpose. */
export const KEPT = Symbol('kept');

/**
 * One sweep step over the orders `filter` matches, oldest first, a batch at a time: another batch
 * while the last was full and `handle` went through for each. An order it handled no longer
 * matches, unless `handle` answered KEPT: the next batches skip those. One it failed on (`failed`
 * says why) would be found again, so the step ends and the next pass retries it. `ready`, when
 * given, sees each batch before its orders are handled (to ask a peer about all of them at once);
 * when it answers false, the step ends there.
 */
export async function sweepOldest(
  filter: QueryFilter<OrderRecord>,
  handle: (id: string) => Promise<unknown>,
  failed: (id: string, error: unknown) => void,
  ready?: (ids: string[]) => Promise<boolean>,
): Promise<void> {
  let kept = 0;
  for (let batch = 0; batch < SWEEP_BATCHES_PER_PASS; batch++) {
    const ids = await OrderModel.find(filter)
      .select('_id')
      .sort({ createdAt: 1 })
      .skip(kept)
      .limit(SWEEP_BATCH)
      .lean<{ _id: string }[]>();
    if (ready && ids.length > 0 && !(await ready(ids.map(({ _id }) => _id)))) return;
    let handled = 0;
    for (const { _id: id } of ids) {
      try {
        if ((await handle(id)) === KEPT) kept++;
        handled++;
      } catch (error) {
        failed(id, error);
      }
    }
    if (ids.length < SWEEP_BATCH || handled < ids.length) return;
  }
}
