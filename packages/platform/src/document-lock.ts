/**
 * Serializes this process's writes to one document. MongoDB applies each single-document
 * update atomically, and the services rely on that across replicas (conditional updates on the
 * current state). FerretDB 1.x, the MongoDB-wire server of the test machines, applies an update
 * as read–modify–write without a lock, so two concurrent writes to one document could both
 * "match" and one would be lost. Queuing writes per document here keeps a single replica
 * correct on FerretDB too (the outbox relay and the services share these locks).
 */
const tails = new Map<string, Promise<unknown>>();

export async function withDocumentLock<T>(collection: string, id: unknown, write: () => Promise<T>): Promise<T> {
  const key = `${collection}:${String(id)}`;
  const previous = tails.get(key) ?? Promise.resolve();
  const result = previous.then(write, write);
  const tail = result.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await result;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** Documents with a queued write, for tests that check nothing is left behind. */
export const lockedDocumentCount = (): number => tails.size;
