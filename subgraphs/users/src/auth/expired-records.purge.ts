import { hourOf } from '@shop/platform/core';
import type { Model } from 'mongoose';
import type { ExpiringRecord } from './expiring-record.model.js';

/** Past this many hours since its last run, a purge catches up with one range delete instead. */
const MAX_HOURS_BY_BUCKET = 48;

/**
 * Deletes a collection's records that fell due before `now` (FerretDB 1.x has no TTL indexes).
 * FerretDB reads a whole collection for a range such as `expiresAt < now`, since it hands only
 * equalities to PostgreSQL. So only a process's first run (or one after a long pause) deletes by
 * range, which also catches records written before `expiresHour` existed; every later run deletes
 * the hours that ended since, each by equality on `expiresHour`, and the current hour's records
 * due by now. Its cost then follows the records due, not the records kept.
 */
export class ExpiredRecordsPurge {
  /** Every record due in an hour before this one is gone. */
  private purgedBefore: number | undefined;

  constructor(private readonly model: Pick<Model<ExpiringRecord & { _id: string }>, 'deleteMany'>) {}

  async run(now: Date): Promise<number> {
    const current = hourOf(now);
    const since = this.purgedBefore;
    let deleted = 0;
    const remove = async (filter: Record<string, unknown>) => {
      deleted += (await this.model.deleteMany(filter)).deletedCount;
    };
    if (since === undefined || current - since > MAX_HOURS_BY_BUCKET) {
      await remove({ expiresAt: { $lt: now } });
    } else {
      for (let hour = since; hour < current; hour++) await remove({ expiresHour: hour });
      await remove({ expiresHour: current, expiresAt: { $lt: now } });
    }
    this.purgedBefore = current;
    return deleted;
  }
}
