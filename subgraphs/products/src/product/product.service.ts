import { randomUUID } from 'node:crypto';
import { DECIMAL_PATTERN, DECIMAL_RULE, productChanged } from '@shop/events';
import {
  BadUserInputError,
  ConflictError,
  NotFoundError,
  NUL_FREE,
  NUL_MESSAGE,
  normalizeDecimal,
  requestScoped,
  requireRole,
  storedText,
  validate,
} from '@shop/platform/core';
import type { OutboxWakeUp } from '@shop/platform/mongo';
import {
  countedWhenRead,
  cursorTime,
  decodeCursor,
  encodeCursor,
  PageInfo,
  pageSize,
  type RequestContext,
} from '@shop/platform/subgraph';
import DataLoader from 'dataloader';
import { z } from 'zod';
import { outboxRows } from '../outbox/outbox.model.js';
import {
  hotRowTransaction,
  isProductId,
  MAX_INVENTORY,
  Prisma,
  type ProductRecord,
  type ProductsDb,
} from './product.model.js';
import type { Product, ProductConnection } from './product.type.js';

/** Fits the DECIMAL(10,2) column: at most 99999999.99, at most two places, never negative. */
const decimal = z.string().trim().regex(DECIMAL_PATTERN, `must be ${DECIMAL_RULE}`);
const name = storedText().min(1).max(200);
const description = storedText().max(5000);
const category = storedText().min(1).max(100);
const inventory = z.number().int().min(0).max(MAX_INVENTORY);
const purchaseLimit = z.number().int().min(1).max(MAX_INVENTORY).nullable();
const images = z
  .array(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048)
      .regex(NUL_FREE, NUL_MESSAGE),
  )
  .max(20);

const createSchema = z.object({
  name,
  description: description.default(''),
  price: decimal,
  category,
  inventory: inventory.default(0),
  images: images.default([]),
  purchaseLimit: purchaseLimit.default(null),
});
const updateSchema = z
  .object({
    name,
    description,
    price: decimal,
    category,
    inventory,
    images,
    purchaseLimit,
    inventoryChange: z.number().int().min(-MAX_INVENTORY).max(MAX_INVENTORY),
    expectedInventory: inventory,
  })
  .partial()
  .refine((u) => u.inventoryChange == null || u.inventory == null, {
    path: ['inventoryChange'],
    message: 'not with inventory',
  })
  .refine((u) => u.expectedInventory == null || u.inventory != null, {
    path: ['expectedInventory'],
    message: 'only with inventory',
  });

// Null filter fields mean "no condition", as GraphQL clients send them.
const filterSchema = z
  .object({
    category: category.nullish(),
    minPrice: decimal.nullish(),
    maxPrice: decimal.nullish(),
    search: storedText().max(200).nullish(),
    inStock: z.boolean().nullish(),
  })
  .refine((f) => !f.minPrice || !f.maxPrice || new Prisma.Decimal(f.minPrice).lte(f.maxPrice), {
    path: ['maxPrice'],
    message: 'must not be less than minPrice',
  });

/** Offsets are bounded: deep pages cost a scan of every skipped row; cursors page any depth. */
export const MAX_OFFSET = 10_000;
const listSchema = z.object({
  filter: filterSchema.nullish(),
  offset: z.number().int().min(0).max(MAX_OFFSET).nullish(),
});
type Filter = z.infer<typeof filterSchema>;

/** Position in the (createdAt desc, id desc) order, which is total and stable. */
const cursorSchema = z.object({ c: cursorTime, i: z.string().refine(isProductId) });

export interface ListArgs {
  filter?: unknown;
  first?: number | null;
  after?: string | null;
  /** Rows to skip, for limit/offset callers (the REST shim); excludes `after`. */
  offset?: number | null;
}

function toProduct(record: ProductRecord): Product {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    price: normalizeDecimal(record.price),
    category: record.category,
    inventory: record.inventory,
    images: record.images,
    purchaseLimit: record.purchaseLimit,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function whereOf(filter: Filter): Prisma.ProductWhereInput {
  const and: Prisma.ProductWhereInput[] = [];
  if (filter.category) and.push({ category: filter.category });
  if (filter.minPrice) and.push({ price: { gte: filter.minPrice } });
  if (filter.maxPrice) and.push({ price: { lte: filter.maxPrice } });
  if (filter.search) {
    // Prisma passes LIKE wildcards through: escape them so "%" or "_" match themselves.
    const contains = { contains: filter.search.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const };
    and.push({ OR: [{ name: contains }, { description: contains }] });
  }
  if (filter.inStock != null) and.push({ inventory: filter.inStock ? { gt: 0 } : { equals: 0 } });
  return { AND: and };
}

export class ProductService {
  /**
   * Per request and per service (a test may run two databases): every `Product` reference of one
   * request (an `_entities` fetch for a page of orders) and `product(id)` are read in one query.
   */
  private readonly byId = requestScoped(
    (ctx: RequestContext) => new DataLoader<string, Product | null>((ids) => this.findMany(ctx, ids)),
  );

  /** `outbox`: told after each commit that recorded an event, so it is published without waiting. */
  constructor(
    private readonly db: ProductsDb,
    private readonly outbox?: OutboxWakeUp,
  ) {}

  /** Public: anyone may read the catalogue. Unknown and malformed ids are both NOT_FOUND. */
  async findById(ctx: RequestContext, id: string): Promise<Product> {
    const product = isProductId(id) ? await this.byId(ctx).load(id) : null;
    if (!product) throw new NotFoundError('Product', id);
    return product;
  }

  /**
   * The products with these ids, in the same order, null where none exists; one query. A UUID reads
   * in either case (RFC 9562), and PostgreSQL answers with its lower-case form.
   */
  async findMany(_ctx: RequestContext, ids: readonly string[]): Promise<(Product | null)[]> {
    const wanted = [...new Set(ids.filter(isProductId).map((id) => id.toLowerCase()))];
    const records = wanted.length ? await this.db.product.findMany({ where: { id: { in: wanted } } }) : [];
    const byId = new Map(records.map((record) => [record.id, toProduct(record)]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  async list(_ctx: RequestContext, args: ListArgs): Promise<ProductConnection> {
    const { filter, offset } = validate(listSchema, { filter: args.filter, offset: args.offset });
    if (offset != null && args.after) {
      throw new BadUserInputError('Pass either after or offset', [{ field: 'offset', message: 'not with after' }]);
    }
    const size = pageSize(args.first);
    const where = whereOf(filter ?? {});
    const position = args.after ? decodeCursor(cursorSchema, args.after) : undefined;
    const at = position && new Date(position.c);
    const afterCursor: Prisma.ProductWhereInput = position
      ? {
          // Where the list index is entered: PostgreSQL starts a scan at no OR, so without it a deep
          // page would read every row before its cursor. The OR then breaks ties in createdAt.
          createdAt: { lte: at },
          OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: position.i } }],
        }
      : {};
    const records = await this.db.product.findMany({
      where: { AND: [where, afterCursor] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: offset ?? 0,
      take: size + 1,
    });
    const page = records.slice(0, size);
    const edges = page.map((record) => ({
      cursor: encodeCursor({ c: record.createdAt.toISOString(), i: record.id }),
      node: toProduct(record),
    }));
    const pageInfo: PageInfo = { hasNextPage: records.length > size, endCursor: edges.at(-1)?.cursor ?? null };
    return countedWhenRead({ edges, pageInfo }, () => this.db.product.count({ where }));
  }

  async create(ctx: RequestContext, input: unknown): Promise<Product> {
    requireRole(ctx.principal, 'ADMIN');
    const data = validate(createSchema, input);
    // The id is chosen here so that the product and its event are one batch transaction.
    const id = randomUUID();
    const [record] = await this.db.$transaction([
      this.db.product.create({ data: { ...data, id } }),
      this.db.outboxEvent.createMany({
        data: outboxRows([productChanged.create({ productId: id, change: 'created' })]),
      }),
    ]);
    this.outbox?.kick();
    return toProduct(record);
  }

  /**
   * Partial: only the given fields change. Stock is set (`inventory`), set only while it still
   * holds `expectedInventory`, or moved by `inventoryChange` in one atomic step, so an admin's
   * write never silently undoes the reservations made since it was read (CONFLICT instead).
   */
  async update(ctx: RequestContext, id: string, input: unknown): Promise<Product> {
    requireRole(ctx.principal, 'ADMIN');
    const { inventoryChange, expectedInventory, ...data } = validate(updateSchema, input);
    if (!isProductId(id)) throw new NotFoundError('Product', id);
    const where: Prisma.ProductWhereInput = { id };
    const change: Prisma.ProductUpdateManyMutationInput = data;
    if (expectedInventory != null) where.inventory = expectedInventory;
    if (inventoryChange != null) {
      change.inventory = { increment: inventoryChange };
      where.inventory = inventoryChange < 0 ? { gte: -inventoryChange } : { lte: MAX_INVENTORY - inventoryChange };
    }
    const record = await hotRowTransaction(this.db, ctx.deadline, async (tx) => {
      const [updated] = await tx.product.updateManyAndReturn({ where, data: change });
      if (!updated) {
        const current = await tx.product.findUnique({ where: { id }, select: { inventory: true } });
        if (!current) throw new NotFoundError('Product', id);
        throw new ConflictError(`Product ${id} has ${current.inventory} in stock; the change was not applied`, {
          field: inventoryChange != null ? 'inventoryChange' : 'expectedInventory',
          inventory: current.inventory,
        });
      }
      await tx.outboxEvent.createMany({
        data: outboxRows([productChanged.create({ productId: id, change: 'updated' })]),
      });
      return updated;
    });
    this.outbox?.kick();
    return toProduct(record);
  }
}
