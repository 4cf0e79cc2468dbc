import type { Model } from 'mongoose';
import type { Logger } from './logger.js';

interface StoredIndex {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
}

/**
 * Builds the indexes a model's schema defines. Unlike mongoose's `syncIndexes`, it drops no index
 * the schema does not define: in a rolling update, a rollback or a scale-up midway, processes of
 * the older version start beside the newer one's and would drop its new indexes, unique ones
 * included, at every start (an operator's own indexes too). Only an index this schema redefines
 * (the same keys or name, other options) is dropped, to be built as defined. An index that no
 * version running still defines is left to be dropped by hand, and logged at each start (a
 * unique one as a warning: it still refuses what this version may allow).
 */
// biome-ignore lint/suspicious/noExplicitAny: any collection's model
export async function buildIndexes(model: Model<any>, log: Logger): Promise<void> {
  const { toDrop, toCreate } = await model.diffIndexes({ indexOptionsToCreate: true });
  if (toDrop.length === 0 && toCreate.length === 0) return;
  const wanted = toCreate as unknown as [Record<string, unknown>, { name?: string }][];
  const keysOf = (key: Record<string, unknown>) => JSON.stringify(key);
  const stored = toDrop.length ? ((await model.listIndexes()) as StoredIndex[]) : [];
  const redefined = stored.filter(
    (index) =>
      toDrop.includes(index.name) &&
      wanted.some(([keys, options]) => keysOf(keys) === keysOf(index.key) || options.name === index.name),
  );
  for (const index of redefined) await model.collection.dropIndex(index.name);
  const kept = stored.filter((index) => toDrop.includes(index.name) && !redefined.includes(index));
  const collection = model.collection.name;
  const names = (indexes: StoredIndex[]) => indexes.map((index) => index.name);
  const plain = kept.filter((index) => !index.unique);
  const unique = kept.filter((index) => index.unique);
  if (plain.length) log.info({ collection, indexes: names(plain) }, 'indexes this version does not define: kept');
  // A unique one still refuses what this version may allow (a rule it relaxed): worth a look.
  if (unique.length) {
    log.warn({ collection, indexes: names(unique) }, 'unique indexes this version does not define: kept');
  }
  // `toCreate` is mongoose's own option (what syncIndexes passes): only these are built.
  await model.createIndexes({ toCreate } as never);
}
