import { connectTestMongo, explainShapes, type QueryShape } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The GIN twins ferretdb.sh gives FerretDB's B-tree indexes (what lets FerretDB on PostgreSQL
// serve a filter from an index at all) live and die with their B-trees. Asked through the wire,
// so the same test holds on MongoDB, which has no twins.
let db: { drop: () => Promise<void> };
beforeAll(async () => {
  db = await connectTestMongo('gin_twins');
});
afterAll(() => db?.drop());

const byColour = (collection: string): QueryShape => ({
  key: `${collection} find {"colour":"?"}`,
  collection,
  filter: { colour: 'red' },
});
const served = async (collection: string) => (await explainShapes([byColour(collection)])).served.length === 1;

it('stops serving a filter from an index once the index is dropped through the wire', async () => {
  const paints = mongoose.connection.collection('paints');
  await paints.createIndex({ colour: 1 });
  await paints.insertMany([{ colour: 'red' }, { colour: 'blue' }]);
  expect(await served('paints')).toBe(true);
  await paints.dropIndex('colour_1');
  expect(await served('paints')).toBe(false);
});

it('keeps serving it while another index leads with the same field', async () => {
  const inks = mongoose.connection.collection('inks');
  await inks.createIndex({ colour: 1 });
  await inks.createIndex({ colour: 1, size: 1 });
  await inks.insertMany([{ colour: 'red', size: 1 }]);
  await inks.dropIndex('colour_1');
  expect(await served('inks')).toBe(true);
  await inks.dropIndex('colour_1_size_1');
  expect(await served('inks')).toBe(false);
});

it('stops serving filters on every field when all the indexes are dropped at once', async () => {
  const dyes = mongoose.connection.collection('dyes');
  await dyes.createIndex({ colour: 1 });
  await dyes.createIndex({ shade: 1 });
  await dyes.insertMany([{ colour: 'red', shade: 'dark' }]);
  await dyes.dropIndexes();
  const byShade = { key: 'dyes find {"shade":"?"}', collection: 'dyes', filter: { shade: 'dark' } };
  expect((await explainShapes([byColour('dyes'), byShade])).scanned).toEqual([byColour('dyes').key, byShade.key]);
});
