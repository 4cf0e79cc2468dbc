import { Directive, Field, ObjectType } from 'type-graphql';
import { z } from 'zod';
import { BadUserInputError } from './errors.js';

/** Relay's PageInfo; @shareable because every subgraph with a connection defines it identically. */
@Directive('@shareable')
@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export const MAX_PAGE_SIZE = 100;

/** Opaque cursors: base64url of a small JSON position, so their format can change freely. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string): z.infer<S> {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new BadUserInputError('Invalid cursor', [{ field: 'after', message: 'not a cursor from this API' }]);
  }
}

export function pageSize(first: number | undefined | null): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError('Invalid page size', [
      { field: 'first', message: `must be between 1 and ${MAX_PAGE_SIZE}` },
    ]);
  }
  return size;
}
