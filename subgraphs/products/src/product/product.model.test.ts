import { testContext } from '@shop/platform/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { statementsOf } from '../sql-statements.test-fixture.js';
import { connectTestDb, TEST_DATABASE_URL } from '../test-db.js';
import { Prisma, productsDbUnavailable } from './product.model.js';
import { ProductService } from './product.service.js';

const { db, category, cleanup } = connectTestDb();
afterAll(() => cleanup());

const insert = (price: string, inventory: number) =>
  db.$executeRaw`INSERT INTO products (name, description, price, category, inventory, updated_at)
    VALUES ('Raw', '', ${price}::numeric, ${category}, ${inventory}, now())`;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'inserted',
    (error: Error) => error.message,
  );

/** The plan PostgreSQL picks when a sequential scan is priced out, so any usable index shows. */
async function planOf(sql: string, ...params: unknown[]): Promise<string> {
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
    const rows = await tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${sql}`, ...params);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe('products table (migrations)', () => {
  it('refuses a negative price or inventory by itself, whatever the code does', async () => {
    expect(await failure(insert('-0.01', 1))).toMatch(/products_price_check/);
    expect(await failure(insert('1.00', -1))).toMatch(/products_inventory_check/);
    expect(await failure(insert('100000000.00', 1))).toMatch(/numeric field overflow/);
    expect(await failure(insert('0.00', 0))).toBe('inserted');
  });

  it('has trigram indexes that serve case-insensitive substring search on name and description', async () => {
    const plan = await planOf(
      `SELECT id FROM products WHERE name ILIKE ('%' || $1 || '%') OR description ILIKE ('%' || $1 || '%')`,
      'chair',
    );
    expect(plan).toContain('products_name_trgm_idx');
    expect(plan).toContain('products_description_trgm_idx');
  });

  it('has indexes for the category filter and the list order', async () => {
    const ordered = 'SELECT * FROM products ORDER BY created_at DESC, id DESC LIMIT 21';
    expect(await planOf(ordered)).toMatch(/Index Scan using products_created_at_id_idx/);
    const inCategory = 'SELECT * FROM products WHERE category = $1';
    expect(await planOf(inCategory, category)).toContain('products_category_created_at_id_idx');
    expect(await planOf('SELECT id FROM products WHERE price BETWEEN 1 AND 2')).toContain('products_price_idx');
  });

  it('enters the list index at a cursor, so a deep page reads from its cursor on, in a category or not', async () => {
    for (const price of ['1.00', '2.00', '3.00']) await insert(price, 1);
    const anonymous = testContext(null, {});
    for (const filter of [{}, { category }]) {
      const first = await new ProductService(db).list(anonymous, { filter, first: 1 });
      const statements = await statementsOf(TEST_DATABASE_URL, (own) =>
        new ProductService(own).list(anonymous, { filter, first: 1, after: first.pageInfo.endCursor }),
      );
      const page = statements.find((statement) => statement.query.includes('ORDER BY'));
      expect(page).toBeDefined();
      const plan = await planOf(page?.query ?? '', ...(page?.params ?? []));
      expect(plan, JSON.stringify(filter)).toMatch(/Index Cond: .*created_at.* <= /);
    }
  });
});

describe('productsDbUnavailable', () => {
  const prismaError = (code: string, message: string, meta?: Record<string, unknown>) =>
    new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: Prisma.prismaVersion.client, meta });

  it('takes a transaction that could not start in time as the server not answering, and not one that expired', () => {
    const notStarted = 'Transaction API error: Unable to start a transaction in the given time.';
    expect(productsDbUnavailable(prismaError('P2028', notStarted))).toBe(true);
    const expired = 'Transaction API error: Transaction already closed: the timeout for this transaction was 5000 ms';
    expect(productsDbUnavailable(prismaError('P2028', expired))).toBe(false);
  });

  it('reads what the adapter says below Prisma’s code, and leaves a refused write alone', async () => {
    const closed = { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } };
    expect(productsDbUnavailable(prismaError('P2010', 'Raw query failed.', closed))).toBe(true);
    // A CHECK constraint's refusal (SQLSTATE 23514) is the request's fault, not the server's.
    const refused = await insert('-1', 1).catch((error: unknown) => error);
    expect(productsDbUnavailable(refused)).toBe(false);
    expect(productsDbUnavailable(new Error('a bug'))).toBe(false);
  });
});
