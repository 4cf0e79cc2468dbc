import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../subgraphs/products/src/generated/prisma/client.js';
import type { ProductsDb } from '../subgraphs/products/src/product/product.model.js';

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

/** Prints EXPLAIN ANALYZE of each statement, run again with its own parameters. */
export async function printPlans(url: string, statements: SqlStatement[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const { query, params } of statements) {
      console.log(`\n-- ${query}\n-- params: ${JSON.stringify(params)}`);
      const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${query}`, params);
      for (const row of plan.rows) console.log(row['QUERY PLAN']);
    }
  } finally {
    await client.end();
  }
}
