// The gateway process loads no database or subgraph code: its production bundle (workspace code
// bundled, npm dependencies linked to this checkout) is started with a hook that records every module
// it loads, and the list is checked once the gateway is live.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, freePort } from '@shop/platform/testing';
import { afterAll, expect, it } from 'vitest';
import { bundle } from '../../scripts/build.js';
import { gatewayEnv, ROOT, ServiceProcess } from './private-services.js';

// Where `pnpm build` puts the gateway's bundle (it finds dependencies and its static files from there),
// under a name of its own; the module list goes to a temporary folder.
const main = resolve(ROOT, 'gateway/dist/modules-check.js');
const dir = mkdtempSync(join(tmpdir(), 'shop-gateway-modules-'));
afterAll(() => {
  for (const file of [main, `${main}.map`, dir]) rmSync(file, { recursive: true, force: true });
});

/** Packages only subgraphs need: a database driver and its models, and the subgraph schema builder. */
const SUBGRAPH_ONLY = ['mongoose', '@typegoose/typegoose', '@apollo/subgraph', 'reflect-metadata', 'type-graphql'];

it('starts the gateway bundle without loading mongoose, typegoose, @apollo/subgraph or type-graphql', async () => {
  await bundle(resolve(ROOT, 'gateway/src/main.ts'), main, true);
  const moduleList = join(dir, 'modules.json');
  const { env, port } = await gatewayEnv(`http://127.0.0.1:${await freePort()}/graphql`);
  const startedAt = Date.now();
  const gateway = new ServiceProcess(
    'gateway',
    {
      ...env,
      SUPERGRAPH_PATH: resolve(ROOT, 'supergraph.graphql'),
      MODULE_LIST_FILE: moduleList,
    },
    'modules',
    { cwd: resolve(ROOT, 'gateway'), args: ['--import', resolve(ROOT, 'tests/ops/module-recorder.mjs'), main] },
  );
  try {
    await Promise.race([
      eventually(async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok, 50_000, 'gateway live'),
      gateway.exited().then(() => {
        throw new Error(`gateway exited before it was live:\n${gateway.logs()}`);
      }),
    ]);
    console.info(`gateway bundle: live ${Date.now() - startedAt} ms after spawn`);
  } finally {
    await gateway.stop();
  }
  const modules: string[] = JSON.parse(readFileSync(moduleList, 'utf8'));
  console.info(`gateway bundle: ${modules.length} modules loaded`);
  expect(modules.length).toBeGreaterThan(0);
  expect(modules.some((url) => url.includes('/node_modules/@apollo/gateway/'))).toBe(true);
  const subgraphOnly = modules.filter((url) => SUBGRAPH_ONLY.some((name) => url.includes(`/node_modules/${name}/`)));
  expect(subgraphOnly).toEqual([]);
});
