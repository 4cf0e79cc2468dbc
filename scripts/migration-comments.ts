/**
 * Where a `--` comment of a migration holds a `;` (1-based line numbers). Prisma's schema engine, as
 * scripts/db-migrate.ts runs it (WebAssembly, through a driver adapter), cuts a migration into
 * statements at every `;`, inside comments too: the rest of such a comment then starts the next
 * statement, and the migration fails with a syntax error, after whatever statements came before it.
 */
export function semicolonsInComments(sql: string): number[] {
  return sql.split('\n').flatMap((line, index) => {
    const comment = line.indexOf('--');
    return comment >= 0 && line.includes(';', comment) ? [index + 1] : [];
  });
}
