#!/usr/bin/env node
// `pnpm db:generate` (also root `postinstall`): runs `prisma generate` without network access.
//
// Why: Prisma 7's client is engine-free, but the CLI still insists on having its native
// schema engine and downloads it from binaries.prisma.sh, which build/CI machines cannot
// reach (see /work/shared/ENVIRONMENT.md). `generate` never executes that engine; the CLI only
// checks that PRISMA_SCHEMA_ENGINE_BINARY points to an existing file. So we point it to a
// stub that explains itself if anything ever does run it. Migrations go through the WASM
// schema engine instead (scripts/db-migrate.ts). No database is needed here.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prismaCli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');

const env = {
  ...process.env,
  // No telemetry / update-check requests (they would time out here, and slow down installs).
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};

// Respect a real engine if the caller provides one (e.g. a Docker image that downloaded it).
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  const stubDir = path.join(root, 'node_modules', '.cache', 'prisma-offline');
  const stub = path.join(stubDir, 'schema-engine');
  mkdirSync(stubDir, { recursive: true });
  writeFileSync(
    stub,
    '#!/bin/sh\necho "schema-engine stub (scripts/db-generate.mjs): the native Prisma schema engine is not installed; use pnpm db:migrate" >&2\nexit 1\n',
  );
  chmodSync(stub, 0o755);
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}

const result = spawnSync(process.execPath, [prismaCli, 'generate', ...process.argv.slice(2)], {
  cwd: root, // prisma.config.ts lives at the repo root
  env,
  stdio: 'inherit',
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
