// `pnpm build`: one bundled ES module per process (<service>/dist/main.js) for production
// images. Workspace code (@shop/*) is bundled; every npm dependency stays external and is
// installed in the image by `pnpm deploy --prod`, so native and WASM packages load as usual.
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const processes: Record<string, string> = {
  users: 'subgraphs/users',
  products: 'subgraphs/products',
  orders: 'subgraphs/orders',
  payments: 'subgraphs/payments',
  notifications: 'subgraphs/notifications',
  gateway: 'gateway',
};

const npmDependenciesExternal: Plugin = {
  name: 'npm-dependencies-external',
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@shop/') ? undefined : { path: args.path, external: true },
    );
  },
};

const only = process.argv.slice(2);
for (const [name, dir] of Object.entries(processes)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await rm(resolve(root, dir, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: [resolve(root, dir, 'src/main.ts')],
    outfile: resolve(root, dir, 'dist/main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    conditions: ['source'],
    tsconfig: resolve(root, 'tsconfig.json'),
    plugins: [npmDependenciesExternal],
    logLevel: 'warning',
  });
  console.log(`built ${dir}/dist/main.js`);
}
