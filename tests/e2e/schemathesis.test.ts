// schemathesis (installed by scripts/infra/schemathesis.sh) against the stack's OpenAPI document:
// every operation, a bounded number of generated requests each, every one of its checks (a request the
// document calls valid must be accepted: positive_data_acceptance; see schemathesis.toml and
// schemathesis-hooks.py). Fails with schemathesis' own report, which is printed only then (its pytest-style
// closing line would otherwise sit in the middle of the run's output). The seed is pinned;
// SCHEMATHESIS_SEED=<seed> replays a run, SCHEMATHESIS_SEED=random explores.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFuzzFixtures, type FuzzFixtures } from './fuzz-fixtures.js';
import { fuzzSeed } from './fuzz-seed.js';
import { GATEWAY } from './stack.js';

const here = dirname(fileURLToPath(import.meta.url));
const ST = resolve(here, '../../.infra/schemathesis/bin/st');
const CONFIG = resolve(here, 'schemathesis.toml');
const HOOKS = resolve(here, 'schemathesis-hooks.py');
/** Per operation and phase; about 1,100 requests in all, one and a half minutes on an idle two-core machine. */
const MAX_EXAMPLES = 20;
/** A bound against a hung run, not a performance target: a loaded shared machine takes several times longer. */
const RUN_LIMIT_MS = 600_000;
const seed = fuzzSeed('SCHEMATHESIS_SEED', 20261202);

let fixtures: FuzzFixtures;
let workDir: string;

beforeAll(async () => {
  fixtures = await createFuzzFixtures('schemathesis');
  // schemathesis writes caches into its working directory: never into the repository.
  workDir = mkdtempSync(join(tmpdir(), 'schemathesis-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function schemathesis(args: string[]): Promise<{ code: number; output: string }> {
  const env = {
    ...process.env,
    SCHEMATHESIS_HOOKS: HOOKS,
    ST_ADMIN_TOKEN: fixtures.adminToken,
    ST_CUSTOMER_TOKEN: fixtures.customerToken,
    ST_CUSTOMER_ID: fixtures.customerId,
    ST_PRODUCT_ID: fixtures.productId,
    ST_ORDER_ID: fixtures.orderId,
    ST_PAYMENT_ID: fixtures.paymentId,
  };
  return new Promise((done) => {
    execFile(
      ST,
      args,
      { cwd: workDir, env, timeout: RUN_LIMIT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const stopped = error?.killed ? `schemathesis was stopped after ${RUN_LIMIT_MS} ms\n` : '';
        done({ code, output: `${stopped}${stdout}${stderr}` });
      },
    );
  });
}

it('finds no 5xx, no answer that breaks the OpenAPI document and no valid request refused, on every route', {
  timeout: RUN_LIMIT_MS + 60_000,
}, async () => {
  expect(existsSync(ST), `${ST} is missing: run pnpm infra:up (scripts/infra/schemathesis.sh)`).toBe(true);
  const { code, output } = await schemathesis([
    '--config-file',
    CONFIG,
    'run',
    `${GATEWAY}/api/openapi.json`,
    '--max-examples',
    String(MAX_EXAMPLES),
    // Every check runs: schemathesis enables all by default, and schemathesis.toml disables one for
    // one operation only (`--checks all` would enable it there again: the command line wins).
    '--seed',
    String(seed),
    // One worker: hypothesis describes its filters from their source, which is not thread-safe
    // ("AST constructor recursion depth mismatch" runtime errors with two).
    '--workers',
    '1',
    '--no-color',
  ]);
  expect(code, output).toBe(0);
  // A run that tested nothing would also exit 0: every documented operation was tested.
  const document = (await (await fetch(`${GATEWAY}/api/openapi.json`)).json()) as { paths: object };
  const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods)).length;
  expect(/Tested: (\d+)\b/.exec(output)?.[1], output).toBe(String(operations));
});
