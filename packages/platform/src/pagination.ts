import { type ClassType, Directive, Field, Int, ObjectType } from 'type-graphql';
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

/**
 * What a connection field returns: the node type's edges, Relay's page info and the total count,
 * which `countedWhenRead` counts only for a client that selects it.
 */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  readonly totalCount: number | Promise<number>;
}

/**
 * The page, with a `totalCount` that runs `count` when first read: GraphQL reads a field only when
 * the client selects it, and a count reads every match of the filter where the page reads only its
 * own rows. Read again (an alias), it counts once.
 */
export function countedWhenRead<T>(
  page: Omit<Connection<T>, 'totalCount'>,
  count: () => Promise<number>,
): Connection<T> {
  let counted: Promise<number> | undefined;
  return {
    ...page,
    get totalCount() {
      // A real promise: a mongoose query is a thenable that runs again (and throws) at each `then`.
      counted ??= Promise.resolve(count());
      return counted;
    },
  };
}

/** Federation directives on a connection's types, e.g. the catalogue's cache hints. */
export interface ConnectionDirectives {
  edge?: string;
  connection?: string;
  /** On the connection's `pageInfo` field (PageInfo itself is shared by every subgraph). */
  pageInfo?: string;
}

/**
 * The one way to declare a connection: `<name>Edge { cursor, node }` and `<name>Connection
 * { edges, pageInfo, totalCount }` for a node type. Use the returned class in resolvers and the
 * `Connection<T>` interface for values.
 */
export function connectionType<T extends object>(
  nodeType: ClassType<T>,
  name: string,
  directives: ConnectionDirectives = {},
): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class NodeConnection {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int)
    totalCount!: number;
  }

  if (directives.edge) Directive(directives.edge)(Edge);
  if (directives.connection) Directive(directives.connection)(NodeConnection);
  if (directives.pageInfo) Directive(directives.pageInfo)(NodeConnection.prototype, 'pageInfo');
  return NodeConnection;
}

export const MAX_PAGE_SIZE = 100;
/** The page a connection serves when `first` is left out or null (each resolver's `first` default). */
export const DEFAULT_PAGE_SIZE = 20;

/** Opaque cursors: base64url of a small JSON position, so their format can change freely. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * A cursor's time: an ISO date-time from year 1 to 9999. zod's own takes year 0000, which
 * PostgreSQL refuses ("out of range"): a forged cursor must be bad input, never an internal error.
 */
export const cursorTime = z.iso.datetime().refine((text) => !text.startsWith('0000'), 'no year 0');

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string): z.infer<S> {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new BadUserInputError('Invalid cursor', [{ field: 'after', message: 'not a cursor from this API' }]);
  }
}

export function pageSize(first: number | undefined | null): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new BadUserInputError('Invalid page size', [
      { field: 'first', message: `must be between 1 and ${MAX_PAGE_SIZE}` },
    ]);
  }
  return size;
}
