import type { Model } from 'mongoose';
import { z } from 'zod';
import { type Connection, countedWhenRead, cursorTime, decodeCursor, encodeCursor, pageSize } from './pagination.js';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

const cursorSchema = z.object({ c: cursorTime, i: z.string().min(1) });

type Cursor = z.infer<typeof cursorSchema>;

/** After the cursor's position, newest first: older, or as old with a smaller id. */
const afterPosition = (filter: Record<string, unknown>, after: Cursor | undefined): Record<string, unknown> =>
  after
    ? {
        ...filter,
        $or: [{ createdAt: { $lt: new Date(after.c) } }, { createdAt: new Date(after.c), _id: { $lt: after.i } }],
      }
    : filter;

function toPage<R extends { _id: string; createdAt: Date }, N>(
  records: R[],
  size: number,
  toNode: (record: R) => N,
  count: () => Promise<number>,
): Connection<N> {
  const edges = records.slice(0, size).map((record) => ({
    cursor: encodeCursor({ c: record.createdAt.toISOString(), i: record._id }),
    node: toNode(record),
  }));
  return countedWhenRead(
    { edges, pageInfo: { hasNextPage: records.length > size, endCursor: edges.at(-1)?.cursor ?? null } },
    count,
  );
}

/** Newest first, without the outbox. */
// biome-ignore lint/suspicious/noExplicitAny: any collection whose documents have _id and createdAt
const newestFirst = <R>(model: Model<any>, where: Record<string, unknown>, limit: number) =>
  model.find(where).select('-pendingEvents').sort({ createdAt: -1, _id: -1 }).limit(limit).lean<R[]>();

/**
 * A Relay page of a collection with string `_id`s, newest first. The cursor is the position
 * (createdAt, _id), so documents inserted while a client pages never shift what it sees. The
 * total is counted only if a client reads it (`countedWhenRead`).
 */
export async function pageNewestFirst<R extends { _id: string; createdAt: Date }, N>(
  // biome-ignore lint/suspicious/noExplicitAny: any collection whose documents have _id and createdAt
  model: Model<any>,
  filter: Record<string, unknown>,
  args: PageArgs,
  toNode: (record: R) => N,
  count: () => Promise<number> = () => model.countDocuments(filter),
): Promise<Connection<N>> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(cursorSchema, args.after) : undefined;
  const records = await newestFirst<R>(model, afterPosition(filter, after), size + 1);
  return toPage(records, size, toNode, count);
}

/** How a collection is split into buckets that follow creation time (hours, say). */
export interface Buckets {
  /** The field holding a document's bucket, set from its createdAt. */
  field: string;
  bucketOf: (createdAt: Date) => number;
  /** The buckets that may hold documents, up to `through` (all without it), newest first. */
  through: (through?: number) => Promise<number[]>;
  /** Whether a bucket holds no document of the filter for sure: it is not read. */
  skips?: (bucket: number) => Promise<boolean>;
}

/**
 * The same page, read one bucket at a time by equality on `buckets.field` (with `filter`), newest
 * bucket first, until the page is full: for a server that serves no sort from an index and would
 * otherwise read and sort every match (FerretDB 1.x). `count` gives the total (such a server would
 * read every match for it too), run only if a client reads it. Cursors are the same as above.
 */
export async function pageNewestFirstByBucket<R extends { _id: string; createdAt: Date }, N>(
  // biome-ignore lint/suspicious/noExplicitAny: any collection whose documents have _id and createdAt
  model: Model<any>,
  buckets: Buckets,
  { filter, count }: { filter: Record<string, unknown>; count: () => Promise<number> },
  args: PageArgs,
  toNode: (record: R) => N,
): Promise<Connection<N>> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(cursorSchema, args.after) : undefined;
  const first = after ? buckets.bucketOf(new Date(after.c)) : undefined;
  const candidates = await buckets.through(first);
  const records: R[] = [];
  for (const bucket of candidates) {
    if (await buckets.skips?.(bucket)) continue;
    const inBucket = { ...filter, [buckets.field]: bucket };
    const where = bucket === first ? afterPosition(inBucket, after) : inBucket;
    records.push(...(await newestFirst<R>(model, where, size + 1 - records.length)));
    if (records.length > size) break;
  }
  return toPage(records, size, toNode, count);
}
