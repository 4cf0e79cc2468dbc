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
 * The records that fall due, hour by hour, as one purge walks them. FerretDB reads a whole
 * collection for a range such as `at < now`, since it hands only equalities to PostgreSQL. So only
 * a process's first pass (or one after a long pause) filters by range, which also catches records
 * written before the hour field existed; every later pass names the hours that ended since, each
 * by equality, and the current hour's records due by now. Its cost then follows the records due,
 * not the records kept.
 */
export class DueHours {
  /** Every record due in an hour before this one was handled. */
  private handledBefore: number | undefined;

  constructor(private readonly fields: DueFields) {}

  /** Hands each filter of the records due before `now` to `handle`; the sum of what it counted. */
  async pass(now: Date, handle: (filter: Record<string, unknown>) => Promise<number>): Promise<number> {
    let handled = 0;
    for (const filter of this.filters(now)) handled += await handle(filter);
    this.handledBefore = hourOf(now);
    return handled;
  }

  private filters(now: Date): Record<string, unknown>[] {
    const { at, hour } = this.fields;
    const [since, current] = [this.handledBefore, hourOf(now)];
    if (since === undefined || current - since > MAX_HOURS_BY_BUCKET) return [{ [at]: { $lt: now } }];
    const filters: Record<string, unknown>[] = [];
    for (let past = since; past < current; past++) filters.push({ [hour]: past });
    filters.push({ [hour]: current, [at]: { $lt: now } });
    return filters;
  }
}

/** Deletes a collection's records that fell due before `now` (FerretDB 1.x has no TTL indexes; see DueHours). */
export class ExpiredRecordsPurge {
  private readonly due = new DueHours({ at: 'expiresAt', hour: 'expiresHour' });

  constructor(private readonly model: Pick<Model<ExpiringRecord & { _id: string }>, 'deleteMany'>) {}

  run(now: Date): Promise<number> {
    return this.due.pass(now, async (filter) => (await this.model.deleteMany(filter)).deletedCount);
  }
}
