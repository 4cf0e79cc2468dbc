import { randomUUID } from 'node:crypto';
import { codeOf, extensionsOf, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StockService } from '../stock/stock.service.js';
import { connectTestDb } from '../test-db.js';
import { ProductService } from './product.service.js';
import type { Product, ProductConnection } from './product.type.js';

const { db, category, cleanup } = connectTestDb();
const products = new ProductService(db);
const services = { products };
const admin = testContext({ id: 'admin-1', role: 'ADMIN' }, services);
const customer = testContext({ id: 'customer-1', role: 'CUSTOMER' }, services);
const anonymous = testContext(null, services);

const base = { name: 'Widget', description: 'A useful widget', price: '10.00', category, inventory: 5, images: [] };

afterAll(() => cleanup());

describe('ProductService.create / update / findById', () => {
  it('creates a product with trimmed, canonical values and defaults', async () => {
    const product = await products.create(admin, { name: '  Lamp ', price: '19.9', category });
    expect(product).toMatchObject({
      name: 'Lamp',
      description: '',
      price: '19.90',
      inventory: 0,
      images: [],
      purchaseLimit: null,
    });
    expect(product.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await products.findById(anonymous, product.id)).toEqual(product);
  });

  it('lets only an admin create or update: customers FORBIDDEN, anonymous UNAUTHENTICATED', async () => {
    expect(await codeOf(products.create(customer, base))).toBe('FORBIDDEN');
    expect(await codeOf(products.create(anonymous, base))).toBe('UNAUTHENTICATED');
    const product = await products.create(admin, base);
    expect(await codeOf(products.update(customer, product.id, { price: '1.00' }))).toBe('FORBIDDEN');
    expect(await codeOf(products.update(anonymous, product.id, { price: '1.00' }))).toBe('UNAUTHENTICATED');
    expect((await products.findById(anonymous, product.id)).price).toBe('10.00');
  });

  it('rejects invalid input with BAD_USER_INPUT naming each field', async () => {
    const error = await products
      .create(admin, {
        name: ' ',
        description: 'x'.repeat(5001),
        price: '1.999',
        category: '',
        inventory: -1,
        images: ['ftp://example.com/a.png', 'not a url'],
      })
      .catch((e) => e);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'category',
      'description',
      'images.0',
      'images.1',
      'inventory',
      'name',
      'price',
    ]);
    expect(await codeOf(products.create(admin, { ...base, price: '100000000.00' }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(products.create(admin, { ...base, price: '-1.00' }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(products.create(admin, { ...base, inventory: 1.5 }))).toBe('BAD_USER_INPUT');
    // A limit of 0 would be a product nobody may buy: that is inventory 0.
    for (const purchaseLimit of [0, -1, 1.5, 2_147_483_648]) {
      expect(await codeOf(products.create(admin, { ...base, purchaseLimit }))).toBe('BAD_USER_INPUT');
    }
    // Found by schemathesis: PostgreSQL text refuses U+0000, which was a database error (500).
    for (const field of ['name', 'description', 'category'] as const) {
      expect(await codeOf(products.create(admin, { ...base, [field]: 'a\u0000b' }))).toBe('BAD_USER_INPUT');
      // A lone surrogate: PostgreSQL's UTF-8 would have held U+FFFD in its place, without a word.
      expect(await codeOf(products.create(admin, { ...base, [field]: 'a\ud800b' }))).toBe('BAD_USER_INPUT');
    }
    expect(await codeOf(products.create(admin, { ...base, images: ['https://cdn.example.com/a\u0000.png'] }))).toBe(
      'BAD_USER_INPUT',
    );
    const images = Array.from({ length: 21 }, (_, i) => `https://cdn.example.com/${i}.png`);
    expect(await codeOf(products.create(admin, { ...base, images }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(products.create(admin, { ...base, price: '99999999.99', images: images.slice(1) }))).toBe(
      'resolved',
    );
  });

  it('updates only the given fields', async () => {
    const created = await products.create(admin, { ...base, images: ['https://cdn.example.com/w.png'] });
    const updated = await products.update(admin, created.id, { price: '12.5', inventory: 9 });
    expect(updated).toMatchObject({ ...created, price: '12.50', inventory: 9, updatedAt: expect.any(Date) });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    expect(await codeOf(products.update(admin, created.id, { name: null }))).toBe('BAD_USER_INPUT');
    expect((await products.findById(anonymous, created.id)).name).toBe('Widget');
  });

  it('sets a purchase limit, keeps it when absent from an update, and removes it with null', async () => {
    const created = await products.create(admin, { ...base, purchaseLimit: 2 });
    expect(created.purchaseLimit).toBe(2);
    expect((await products.update(admin, created.id, { price: '11.00' })).purchaseLimit).toBe(2);
    expect((await products.update(admin, created.id, { purchaseLimit: 5 })).purchaseLimit).toBe(5);
    expect(await codeOf(products.update(admin, created.id, { purchaseLimit: 0 }))).toBe('BAD_USER_INPUT');
    expect((await products.update(admin, created.id, { purchaseLimit: null })).purchaseLimit).toBeNull();
    expect((await products.findById(anonymous, created.id)).purchaseLimit).toBeNull();
  });

  it('finds a product by its id written in capitals, as some platforms print UUIDs', async () => {
    const product = await products.create(admin, { ...base, name: 'Capital lamp' });
    const upper = product.id.toUpperCase();
    expect(await products.findById(testContext(null, services), upper)).toEqual(product);
    expect(await products.findMany(testContext(null, services), [upper, product.id])).toEqual([product, product]);
  });

  it('answers NOT_FOUND for unknown and malformed ids, never a database error', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', "1' OR '1'='1", '']) {
      expect(await codeOf(products.findById(anonymous, id))).toBe('NOT_FOUND');
      expect(await codeOf(products.update(admin, id, { price: '1.00' }))).toBe('NOT_FOUND');
    }
  });
});

describe('ProductService.update of the stock, while orders reserve it', () => {
  const stock = new StockService(db);
  const orders = testContext({ id: 'service:orders', role: 'SERVICE' }, { products, stock });
  const stored = async (id: string) => (await db.product.findUniqueOrThrow({ where: { id } })).inventory;

  it('sets the stock only while it still holds expectedInventory: a count read before a reservation is refused', async () => {
    const product = await products.create(admin, { ...base, inventory: 10 });
    // The admin read 10; an order reserves 3 before the admin's write arrives.
    await stock.reserve(orders, randomUUID(), [{ productId: product.id, quantity: 3 }]);
    expect(
      await extensionsOf(products.update(admin, product.id, { inventory: 15, expectedInventory: 10 })),
    ).toMatchObject({
      code: 'CONFLICT',
      field: 'expectedInventory',
      inventory: 7,
    });
    expect(await stored(product.id)).toBe(7);
    expect((await products.update(admin, product.id, { inventory: 12, expectedInventory: 7 })).inventory).toBe(12);
  });

  it('moves the stock by inventoryChange in one step: concurrent changes and reservations all count', async () => {
    const product = await products.create(admin, { ...base, inventory: 10 });
    await Promise.all([
      ...Array.from({ length: 5 }, () => products.update(admin, product.id, { inventoryChange: 4 })),
      ...Array.from({ length: 5 }, () => stock.reserve(orders, randomUUID(), [{ productId: product.id, quantity: 2 }])),
    ]);
    expect(await stored(product.id)).toBe(10 + 20 - 10);
    expect((await products.update(admin, product.id, { inventoryChange: -20, name: 'Sold out' })).inventory).toBe(0);
  });

  it('never takes the stock below zero nor past the column, and changes nothing then', async () => {
    const product = await products.create(admin, { ...base, inventory: 5 });
    const takers = await Promise.all(
      Array.from({ length: 4 }, () => extensionsOf(products.update(admin, product.id, { inventoryChange: -2 }))),
    );
    expect(takers.filter((outcome) => outcome === undefined)).toHaveLength(2);
    expect(takers.filter((outcome) => outcome?.code === 'CONFLICT')).toHaveLength(2);
    expect(await stored(product.id)).toBe(1);
    expect(
      await extensionsOf(products.update(admin, product.id, { inventoryChange: 2_147_483_647, name: 'Renamed' })),
    ).toMatchObject({ code: 'CONFLICT', field: 'inventoryChange', inventory: 1 });
    expect(await db.product.findUniqueOrThrow({ where: { id: product.id } })).toMatchObject({
      inventory: 1,
      name: 'Widget',
    });
  });

  it('refuses inventoryChange beside inventory, and expectedInventory without it', async () => {
    const product = await products.create(admin, base);
    const fieldsOf = async (input: object) =>
      ((await extensionsOf(products.update(admin, product.id, input)))?.fields as { field: string }[] | undefined)?.map(
        (f) => f.field,
      );
    expect(await fieldsOf({ inventory: 3, inventoryChange: 1 })).toEqual(['inventoryChange']);
    expect(await fieldsOf({ expectedInventory: 5, price: '1.00' })).toEqual(['expectedInventory']);
    expect(await stored(product.id)).toBe(5);
  });
});

describe('ProductService.list', () => {
  const listCategory = `${category}-list`;
  let all: Product[];

  beforeAll(async () => {
    const rows = [
      { name: 'Red Chair', description: 'wooden', price: '49.99', inventory: 3 },
      { name: 'Blue chair', description: 'plastic', price: '19.99', inventory: 0 },
      { name: 'Table', description: 'Goes with any CHAIR', price: '150.00', inventory: 1 },
      { name: 'Lamp', description: '100% brighter', price: '20.00', inventory: 7 },
      { name: 'Rug', description: 'soft', price: '20.01', inventory: 0 },
    ];
    // Created together, so several share a createdAt: the id must break ties for a stable order.
    await Promise.all(rows.map((row) => products.create(admin, { ...row, category: listCategory })));
    all = (await products.list(anonymous, { filter: { category: listCategory }, first: 100 })).edges.map(
      (edge) => edge.node,
    );
  });
  afterAll(() => db.product.deleteMany({ where: { category: listCategory } }));

  const names = async (filter: Record<string, unknown>) =>
    (await products.list(anonymous, { filter: { category: listCategory, ...filter } })).edges
      .map((edge) => edge.node.name)
      .sort();

  it('orders by createdAt desc, then id desc', () => {
    expect(all).toHaveLength(5);
    const keys = all.map((p) => [p.createdAt.getTime(), p.id] as const);
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
    expect(keys).toEqual(sorted);
  });

  it('filters by price range (inclusive), stock, and a case-insensitive search on name and description', async () => {
    expect(await names({ minPrice: '20.00', maxPrice: '49.99' })).toEqual(['Lamp', 'Red Chair', 'Rug']);
    expect(await names({ inStock: true })).toEqual(['Lamp', 'Red Chair', 'Table']);
    expect(await names({ inStock: false })).toEqual(['Blue chair', 'Rug']);
    expect(await names({ search: 'chair' })).toEqual(['Blue chair', 'Red Chair', 'Table']);
    expect(await names({ search: 'chair', inStock: true, maxPrice: '100' })).toEqual(['Red Chair']);
    expect(await names({ search: '%' })).toEqual(['Lamp']);
    expect(await names({ search: '_' })).toEqual([]);
    expect(await names({ minPrice: null, search: null })).toHaveLength(5);
    expect(await names({ category: `${listCategory}-none` })).toEqual([]);
  });

  it('pages with cursors through every product exactly once, with totalCount of the whole filter', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const result = await products.list(anonymous, { filter: { category: listCategory }, first: 2, after });
      expect(await result.totalCount).toBe(5);
      seen.push(...result.edges.map((edge) => edge.node.id));
      expect(result.pageInfo.hasNextPage).toBe(page < 2);
      after = result.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((p) => p.id));
    const inStock = await products.list(anonymous, { filter: { category: listCategory, inStock: true }, first: 1 });
    expect(inStock.pageInfo.hasNextPage).toBe(true);
    expect(await inStock.totalCount).toBe(3);
  });

  it('pages with offset in the same order, for limit/offset callers', async () => {
    const page = (offset: number) =>
      products.list(anonymous, { filter: { category: listCategory }, first: 2, offset }).then(async (result) => ({
        ids: result.edges.map((edge) => edge.node.id),
        totalCount: await result.totalCount,
        hasNextPage: result.pageInfo.hasNextPage,
      }));
    const pages = await Promise.all([0, 2, 4, 6].map(page));
    expect(pages.flatMap((p) => p.ids)).toEqual(all.map((p) => p.id));
    expect(pages.map((p) => p.hasNextPage)).toEqual([true, true, false, false]);
    expect(pages.map((p) => p.totalCount)).toEqual([5, 5, 5, 5]);
    // An offset page's cursors continue with `after`.
    const first = await products.list(anonymous, { filter: { category: listCategory }, first: 3, offset: 1 });
    const rest = await products.list(anonymous, {
      filter: { category: listCategory },
      after: first.pageInfo.endCursor,
    });
    expect([...first.edges, ...rest.edges].map((edge) => edge.node.id)).toEqual(all.slice(1).map((p) => p.id));
  });

  it('rejects bad page sizes, cursors, offsets and price ranges with BAD_USER_INPUT', async () => {
    const list = (args: Parameters<ProductService['list']>[1]) => codeOf(products.list(anonymous, args));
    expect(await list({ first: 0 })).toBe('BAD_USER_INPUT');
    expect(await list({ first: 101 })).toBe('BAD_USER_INPUT');
    expect(await list({ after: 'garbage' })).toBe('BAD_USER_INPUT');
    // A well-formed position in year 0, which PostgreSQL has not: bad input, not an internal error.
    const yearZero = { c: '0000-01-01T00:00:00Z', i: '00000000-0000-4000-8000-000000000000' };
    expect(await list({ after: Buffer.from(JSON.stringify(yearZero)).toString('base64url') })).toBe('BAD_USER_INPUT');
    expect(await list({ filter: { minPrice: '10.00', maxPrice: '9.99' } })).toBe('BAD_USER_INPUT');
    expect(await list({ filter: { minPrice: '1.234' } })).toBe('BAD_USER_INPUT');
    expect(await list({ offset: -1 })).toBe('BAD_USER_INPUT');
    expect(await list({ offset: 10_001 })).toBe('BAD_USER_INPUT');
    expect(await list({ offset: 0.5 })).toBe('BAD_USER_INPUT');
    expect(await list({ filter: { search: '\u0000~' } })).toBe('BAD_USER_INPUT');
    expect(await list({ filter: { category: 'a\u0000' } })).toBe('BAD_USER_INPUT');
    const cursor = (await products.list(anonymous, { filter: { category: listCategory }, first: 1 })).pageInfo
      .endCursor;
    expect(await list({ offset: 1, after: cursor })).toBe('BAD_USER_INPUT');
    expect(await list({ filter: { category: listCategory }, offset: 10_000 })).toBe('resolved');
  });
});

describe('ProductService.list while the catalogue changes', () => {
  const pagingCategory = `${category}-paging`;
  afterAll(() => db.product.deleteMany({ where: { category: pagingCategory } }));

  it('pages through every product exactly once while products are added and updated', async () => {
    // Thirty products, in groups of ten sharing one createdAt, so ties must be broken by id.
    const stamps = [0, 1, 2].map((i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
    await db.product.createMany({
      data: Array.from({ length: 30 }, (_, i) => ({
        name: `Paged ${i}`,
        description: '',
        price: '1.00',
        category: pagingCategory,
        inventory: 1,
        createdAt: stamps[i % 3],
      })),
    });
    const filter = { category: pagingCategory };
    const expected = (await products.list(anonymous, { filter, first: 100 })).edges.map((edge) => edge.node.id);
    expect(expected).toHaveLength(30);

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const result: ProductConnection = await products.list(anonymous, { filter, first: 4, after });
      seen.push(...result.edges.map((edge) => edge.node.id));
      // Between pages: a new product (it sorts first) and an update of one not yet seen.
      await products.create(admin, { ...base, category: pagingCategory, name: `New ${page}` });
      const unseen = expected.find((id) => !seen.includes(id));
      if (unseen) await products.update(admin, unseen, { price: `${page + 2}.00`, inventory: page });
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });
});
