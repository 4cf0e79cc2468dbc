// FerretDB 1.x on PostgreSQL hangs for good once as many multi-document writes arrive together as
// its PostgreSQL pool has connections (packages/platform/src/mongo-pool.ts). The services keep that
// from happening by bounding their own pools; this runs the rule against a FerretDB of its own
// (default settings: a pool of 50), so that a regression hangs that one and not the shared server.
import { MONGO_POOL_SIZE } from '@shop/platform/mongo';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateFerretDB, PrivatePostgres } from './private-services.js';

/** Four service processes at the default pool: 40 commands in flight at most, below FerretDB's 50. */
const PROCESSES = 4;
const BURST = 400;

const postgres = new PrivatePostgres();
const ferretdb = new PrivateFerretDB(() => postgres.url);
const connections: Connection[] = [];

beforeAll(async () => {
  await postgres.init();
  await ferretdb.start();
  for (let i = 0; i < PROCESSES; i++) {
    const connection = mongoose.createConnection(ferretdb.url, {
      dbName: 'burst',
      maxPoolSize: MONGO_POOL_SIZE,
      minPoolSize: MONGO_POOL_SIZE,
    });
    connections.push(await connection.asPromise());
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close(true)));
  await ferretdb.stop();
  await postgres.destroy();
});

const within = <T>(work: Promise<T>, ms: number, what: string) =>
  Promise.race([
    work,
    new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms)),
  ]);

describe('FerretDB under a burst of multi-document writes from several service processes', () => {
  it('answers every write of a burst ten times larger than the connections, and answers afterwards', async () => {
    const collection = (i: number) =>
      (connections[i % PROCESSES] as Connection).collection<{ _id: string; group: number }>('things');
    await collection(0).insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: `t${i}`, group: i % 10 })));
    // Every connection open and used, so that the burst arrives at once rather than as pools grow.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: PROCESSES * MONGO_POOL_SIZE }, (_, i) => collection(i).findOne({ _id: `t${i % 100}` })),
      );
    }
    // Each matches ten documents: FerretDB reads them with one pool connection and writes each with another.
    const burst = Array.from({ length: BURST }, (_, i) =>
      collection(i).updateMany({ group: i % 10 }, { $set: { last: i } }),
    );
    const results = await within(Promise.all(burst), 60_000, 'the burst');
    expect(results.every((result) => result.matchedCount === 10)).toBe(true);
    expect(await within(collection(1).findOne({ _id: 't1' }), 5_000, 'a read after the burst')).toMatchObject({
      group: 1,
    });
  }, 120_000);
});
