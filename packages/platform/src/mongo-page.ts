import type { Model } from 'mongoose';
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageSize } from './pagination.js';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const cursorSchema = z.object({ c: z.iso.datetime(), i: z.string().min(1) });

/**
 * A Relay page of a collection with string `_id`s, newest first. The cursor is the position
 * (createdAt, _id), so documents inserted while a client pages never shift what it sees.
 */
export async function pageNewestFirst<R extends { _id: string; createdAt: Date }, N>(
  // biome-ignore lint/suspicious/noExplicitAny: any collection whose documents have _id and createdAt
  model: Model<any>,
  filter: Record<string, unknown>,
  args: PageArgs,
  toNode: (record: R) => N,
): Promise<Page<N>> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(cursorSchema, args.after) : undefined;
  const where = after
    ? {
        ...filter,
        $or: [{ createdAt: { $lt: new Date(after.c) } }, { createdAt: new Date(after.c), _id: { $lt: after.i } }],
      }
    : filter;
  const [records, totalCount] = await Promise.all([
    model
      .find(where)
      .select('-pendingEvents')
      .sort({ createdAt: -1, _id: -1 })
      .limit(size + 1)
      .lean<R[]>(),
    model.countDocuments(filter),
  ]);
  const edges = records.slice(0, size).map((record) => ({
    cursor: encodeCursor({ c: record.createdAt.toISOString(), i: record._id }),
    node: toNode(record),
  }));
  return {
    edges,
    pageInfo: { hasNextPage: records.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
