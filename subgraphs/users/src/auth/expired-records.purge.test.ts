import { connectTestMongo, recordQueryShapes } from '@shop/platform/testing';
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiredRecordsPurge } from './expired-records.purge.js';
import { ExpiringRecord, expiringAt } from './expiring-record.model.js';

@modelOptions({ schemaOptions: { collection: 'purge_probe', versionKey: false } })
class ProbeRecord extends ExpiringRecord {
  @prop({ required: true, type: () => String })
  _id!: string;
}
const ProbeModel = getModelForClass(ProbeRecord);

const HOUR = 3_600_000;
const H0 = Date.UTC(2026, 11, 2, 10); // an hour boundary
const at = (offsetMs: number) => new Date(H0 + offsetMs);
const record = (_id: string, expiresAt: Date, legacy = false) =>
  ProbeModel.create({ _id, ...(legacy ? { expiresAt } : expiringAt(expiresAt)) });
const left = async () => (await ProbeModel.find().sort({ _id: 1 }).lean()).map((doc) => doc._id);

let db: { drop: () => Promise<void> };
beforeAll(async () => {
  db = await connectTestMongo('users_purge');
  await ProbeModel.init();
});
afterAll(() => db?.drop());

describe('ExpiredRecordsPurge', () => {
  it('catches up by range once, then deletes the hours due by equality, and keeps what is not due', async () => {
    const purge = new ExpiredRecordsPurge(ProbeModel);
    await record('a-due-two-hours-ago', at(-2 * HOUR));
    await record('b-due-this-hour', at(10 * 60_000));
    await record('c-due-later-this-hour', at(50 * 60_000));
    await record('d-due-in-five-hours', at(5 * HOUR));
    await record('e-legacy-due', at(-3 * HOUR), true);

    // First run of a process: by range, so records without an hour are caught too.
    expect(await purge.run(at(30 * 60_000))).toBe(3);
    expect(await left()).toEqual(['c-due-later-this-hour', 'd-due-in-five-hours']);

    await record('f-due-this-hour', at(40 * 60_000));
    await record('g-due-next-hour', at(HOUR + 10 * 60_000));
    await record('h-due-in-two-hours-and-a-half', at(2.5 * HOUR));
    const recorder = recordQueryShapes();
    expect(await purge.run(at(2 * HOUR + 20 * 60_000))).toBe(3);
    recorder.stop();
    expect(await left()).toEqual(['d-due-in-five-hours', 'h-due-in-two-hours-and-a-half']);
    // Every delete of a later run names its hour: an equality FerretDB hands to an index.
    const deletes = recorder.shapes().filter((shape) => shape.collection === 'purge_probe');
    expect(deletes.map((shape) => shape.key).sort()).toEqual([
      'purge_probe delete {"expiresHour":"?","expiresAt":{"$lt":"?"}}',
      'purge_probe delete {"expiresHour":"?"}',
    ]);

    // After a long pause it catches up by range again rather than walking every hour.
    expect(await purge.run(at(100 * HOUR))).toBe(2);
    expect(await left()).toEqual([]);
  });
});
