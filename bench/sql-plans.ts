import pg from 'pg';
import type { SqlStatement } from '../subgraphs/products/src/sql-statements.test-fixture.js';

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
