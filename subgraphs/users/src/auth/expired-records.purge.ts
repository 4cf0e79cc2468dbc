import { hourOf } from '@shop/platform/core';
import type { Model } from 'mongoose';
import type { ExpiringRecord } from './expiring-record.model.js';

/** Past this many hours since its last run, a purge catches up with one range filter instead. */
const MAX_HOURS_BY_BUCKET = 48;

/** The two fields a purge reads: when a record falls due, and that moment's hour (`hourOf`). */
export interface DueFields {
  at: string;
  hour: string;
}

/**
 * The filters of the records that fell due before `now`, for a purge whose last run was in hour
 * `since` (undefined: never). FerretDB reads a whole collection for a range such as `at < now`,
 * since it hands only equalities to PostgreSQL. So only a process's first run (or one after a long
 * pause) filters by range, which also catches records written before the hour field existed; every
 * later run names the hours that ended since, each by equality, and the current hour's records due
 * by now. Its cost then follows the records due, not the records kept.
 */
export function dueFilters(since: number | undefined, now: Date, fields: DueFields): Record<string, unknown>[] {
  const current = hourOf(now);
  if (since === undefined || current - since > MAX_HOURS_BY_BUCKET) return [{ [fields.at]: { $lt: now } }];
  const filters: Record<string, unknown>[] = [];
  for (let hour = since; hour < current; hour++) filters.push({ [fields.hour]: hour });
  filters.push({ [fields.hour]: current, [fields.at]: { $lt: now } });
  return filters;
}

/** Deletes a collection's records that fell due before `now` (FerretDB 1.x has no TTL indexes; see dueFilters). */
export class ExpiredRecordsPurge {
  /** Every record due in an hour before this one is gone. */
  private purgedBefore: number | undefined;

  constructor(private readonly model: Pick<Model<ExpiringRecord & { _id: string }>, 'deleteMany'>) {}

  async run(now: Date): Promise<number> {
    let deleted = 0;
    for (const filter of dueFilters(this.purgedBefore, now, { at: 'expiresAt', hour: 'expiresHour' })) {
      deleted += (await this.model.deleteMany(filter)).deletedCount;
    }
    this.purgedBefore = hourOf(now);
    return deleted;
  }
}
