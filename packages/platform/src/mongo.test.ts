import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, isDuplicateKeyError, type MongoHandle, mongoUnavailable, writtenFirst } from './mongo.js';
import { mongoCommandsMetric, runForScrape } from './mongo-commands.js';
import { buildIndexes } from './mongo-indexes.js';
import { MONGO_POOL_SIZE } from './mongo-pool.js';
import { silentLogger } from './testing.js';

/** Over every collection and origin. */
const counted = async (command: string) =>
  (await mongoCommandsMetric().get()).values
    .filter((value) => value.labels.command === command)
    .reduce((sum, value) => sum + value.value, 0);

describe('connectMongo', () => {
  let handle: MongoHandle;
  const prefix = `test_commands_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    handle = await connectMongo(
      { MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017', MONGO_DB_PREFIX: prefix },
      'platform',
      silentLogger,
    );
  });

  afterAll(async () => {
    await mongoose.connection.dropDatabase();
    await handle.close();
  });

  it('bounds its pool at MONGO_MAX_POOL_SIZE, by default well below the pool of FerretDB (mongo-pool.ts)', () => {
    expect(MONGO_POOL_SIZE).toBe(10);
    expect(mongoose.connection.getClient().options.maxPoolSize).toBe(MONGO_POOL_SIZE);
  });

  it('bounds the wait for a connection, from the pool or a new one, and the heartbeat at DB_POOL_WAIT_TIMEOUT (10 s), and no command', () => {
    const { waitQueueTimeoutMS, connectTimeoutMS, socketTimeoutMS } = mongoose.connection.getClient().options;
    expect([waitQueueTimeoutMS, connectTimeoutMS, socketTimeoutMS]).toEqual([10_000, 10_000, 0]);
  });

  it('takes a socket error the driver passes on unwrapped as the server not answering, and nothing else', async () => {
    // What a write to a connection the server had just closed throws (seen in mongo-unavailable.test.ts).
    const ended = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(mongoUnavailable(ended)).toBe(true);
    const duplicate = await mongoose.connection
      .collection('things')
      .insertMany([{ _id: 'same' }, { _id: 'same' }] as never[])
      .catch((error: unknown) => error);
    expect(isDuplicateKeyError(duplicate)).toBe(true);
    expect(mongoUnavailable(duplicate)).toBe(false);
    expect(mongoUnavailable(new Error('a bug'))).toBe(false);
  });

  it("takes FerretDB's InternalError for its PostgreSQL not answering by its words, and no other (ferretdb-backend-down.test.ts)", () => {
    const internal = (errmsg: string) =>
      new mongoose.mongo.MongoServerError({ ok: 0, code: 1, codeName: 'InternalError', errmsg });
    expect(mongoUnavailable(internal('[collection.go:109 postgresql.(*collection).Query] unexpected EOF'))).toBe(true);
    expect(mongoUnavailable(internal('FATAL: the database system is shutting down (SQLSTATE 57P03)'))).toBe(true);
    const readOnly = 'ERROR: cannot execute UPDATE in a read-only transaction (SQLSTATE 25006)';
    expect(mongoUnavailable(internal(readOnly))).toBe(true);
    expect(mongoUnavailable(internal('read tcp 10.0.0.2:5432: read: connection timed out'))).toBe(true);
    // The SQLSTATEs products reads so too: a statement cancelled at its timeout, but not a protocol violation.
    expect(mongoUnavailable(internal('ERROR: canceling statement due to statement timeout (SQLSTATE 57014)'))).toBe(
      true,
    );
    expect(mongoUnavailable(internal('FATAL: invalid frontend message type 0 (SQLSTATE 08P01)'))).toBe(false);
    // A failure to connect that no wait mends: refused credentials, a missing database.
    const connectFailed =
      'failed to connect to `user=shop database=ferretdb`: 127.0.0.1:5432 (127.0.0.1): server error:';
    expect(mongoUnavailable(internal(`${connectFailed} FATAL: password authentication failed (SQLSTATE 28P01)`))).toBe(
      false,
    );
    expect(
      mongoUnavailable(internal(`${connectFailed} FATAL: database "ferretdb" does not exist (SQLSTATE 3D000)`)),
    ).toBe(false);
    const duplicate = internal('ERROR: duplicate key value violates unique constraint "x" (SQLSTATE 23505)');
    expect(mongoUnavailable(duplicate)).toBe(false);
    expect(mongoUnavailable(internal('[msg_update.go:88] unsupported operator'))).toBe(false);
  });

  it('counts every command it sends, by name (mongodb_commands_total)', async () => {
    const [inserts, finds] = [await counted('insert'), await counted('find')];
    const things = mongoose.connection.collection('things');
    await things.insertOne({ _id: randomUUID() } as never);
    await things.insertOne({ _id: randomUUID() } as never);
    await things.findOne({});
    expect(await counted('insert')).toBe(inserts + 2);
    expect(await counted('find')).toBe(finds + 1);
  });

  it("counts a scrape's reads as `scrape`, a mongoose query too (it runs only once awaited)", async () => {
    const Thing = mongoose.models.ScrapedThing ?? mongoose.model('ScrapedThing', new mongoose.Schema({ n: Number }));
    const byOrigin = async (origin: string) =>
      (await mongoCommandsMetric().get()).values
        .filter((value) => value.labels.origin === origin && value.labels.collection === Thing.collection.name)
        .reduce((sum, value) => sum + value.value, 0);
    await Thing.init(); // its collection created first, outside what is counted
    const [scrapes, requests] = [await byOrigin('scrape'), await byOrigin('request')];
    await runForScrape(() => Thing.countDocuments({ n: 1 }));
    expect(await byOrigin('scrape')).toBe(scrapes + 1);
    expect(await byOrigin('request')).toBe(requests);
  });

  it('recognises a write refused by a unique index, an insert’s and an update’s alike', async () => {
    const accounts = mongoose.connection.collection('unique_things');
    await accounts.createIndex({ email: 1 }, { unique: true });
    await accounts.insertMany([{ email: 'a@example.com' }, { email: 'b@example.com' }]);
    const refusal = (write: Promise<unknown>) =>
      write.then(
        () => 'written',
        (error: unknown) => error,
      );
    const insert = await refusal(accounts.insertOne({ email: 'a@example.com' }));
    const update = await refusal(accounts.updateOne({ email: 'a@example.com' }, { $set: { email: 'b@example.com' } }));
    expect([isDuplicateKeyError(insert), isDuplicateKeyError(update)]).toEqual([true, true]);
    expect(isDuplicateKeyError(await refusal(accounts.insertOne({ $bad: 1 } as never)))).toBe(false);
    expect(await accounts.countDocuments({ email: 'b@example.com' })).toBe(1);
  });

  it('tells the first write of a key from a later one, and throws any other failure', async () => {
    const marks = mongoose.connection.collection<{ _id: string; at?: Date }>('first_writes');
    const id = randomUUID();
    const upsert = () =>
      marks.updateOne({ _id: id, at: { $exists: false } }, { $set: { at: new Date() } }, { upsert: true });
    expect(await writtenFirst(() => marks.insertOne({ _id: id }))).toBe(true);
    expect(await writtenFirst(() => marks.insertOne({ _id: id }))).toBe(false);
    expect(await writtenFirst(upsert)).toBe(true); // it matched the document: written
    expect(await writtenFirst(upsert)).toBe(false); // it matched nothing, and its insert met the key
    await expect(writtenFirst(() => marks.insertOne({ $bad: 1 } as never))).rejects.toThrow();
  });

  it('builds the indexes a schema defines, rebuilds one it redefines, and drops none it does not define', async () => {
    const name = `indexed_${randomUUID().slice(0, 8)}`;
    const things = mongoose.connection.collection(name);
    await things.createIndex({ sku: 1 }, { name: 'sku_1' }); // an older version's: not yet unique
    await things.createIndex({ colour: 1 }, { name: 'colour_1' }); // a newer version's, or an operator's
    await things.createIndex({ code: 1 }, { name: 'code_1', unique: true }); // an older version's rule
    const schema = new mongoose.Schema({ sku: String, size: Number, colour: String }, { autoIndex: false });
    schema.index({ sku: 1 }, { unique: true });
    schema.index({ size: 1 });
    const model = mongoose.model(name, schema, name);
    try {
      const logged: unknown[] = [];
      const log = {
        ...silentLogger,
        info: (fields: unknown) => logged.push(['info', fields]),
        warn: (fields: unknown) => logged.push(['warn', fields]),
      } as unknown as typeof silentLogger;
      await buildIndexes(model, log);
      const built = async () =>
        Object.fromEntries((await things.indexes()).map((index) => [index.name, Boolean(index.unique)]));
      const expected = { _id_: false, sku_1: true, size_1: false, colour_1: false, code_1: true };
      expect(await built()).toEqual(expected);
      expect(logged).toEqual([
        ['info', { collection: name, indexes: ['colour_1'] }],
        ['warn', { collection: name, indexes: ['code_1'] }],
      ]);
      await buildIndexes(model, log); // a second start changes nothing
      expect(await built()).toEqual(expected);
    } finally {
      mongoose.deleteModel(name);
    }
  });
});
