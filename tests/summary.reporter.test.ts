import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const vitest = resolve(here, '../node_modules/vitest/vitest.mjs');

it('counts a failed hook, a failed import and an unhandled rejection as failures, on the last line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'summary-'));
  const summaryFile = join(dir, 'summary.txt');
  try {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) => {
      execFile(
        process.execPath,
        [vitest, 'run', '--config', resolve(here, 'summary-reporter/fixtures/vitest.config.ts')],
        { env: { ...process.env, TEST_SUMMARY_FILE: summaryFile }, timeout: 60_000 },
        (error, out) => done({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      );
    });
    const lines = stdout.trimEnd().split('\n');
    // passing + the test that leaves the rejection; hook, import, unhandled; the hook's two tests.
    expect(lines.at(-1)).toBe('2 passed, 3 failed, 2 skipped');
    expect(readFileSync(summaryFile, 'utf8')).toBe('2 passed, 3 failed, 2 skipped\n');
    expect(code).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
