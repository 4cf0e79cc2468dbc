import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm db:migrate', () => {
  it("reads the URL's TLS settings as pg reads them for products: sslrootcert names the CA it verifies the server with", async () => {
    // Port 9 answers nothing: the CA file is read (and found missing) before any connection.
    const url = 'postgresql://shop:shop@127.0.0.1:9/shop?sslmode=verify-full&sslrootcert=/nonexistent/shop-ca.crt';
    const failure = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url },
    }).then(
      () => ({ stderr: 'migrated' }),
      (error: { stderr: string }) => error,
    );
    expect(failure.stderr).toContain("open '/nonexistent/shop-ca.crt'");
  });
});
