import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';
import type { ProductsDb } from './product/product.model.js';

export interface SqlStatement {
  query: string;
  params: unknown[];
}

/** The SQL statements `work` sends through a Prisma client of the products database, as sent. */
export async function statementsOf(url: string, work: (db: ProductsDb) => Promise<unknown>): Promise<SqlStatement[]> {
  const db = new PrismaClient({
    adapter: new PrismaPg({ connectionString: url }),
    log: [{ emit: 'event', level: 'query' }],
  });
  const statements: SqlStatement[] = [];
  db.$on('query', (event) => statements.push({ query: event.query, params: JSON.parse(event.params) }));
  try {
    await work(db);
  } finally {
    await db.$disconnect();
  }
  return statements;
}
