// `pnpm build`: one bundled ES module per process (<service>/dist/main.js) for production
// images. Workspace code (@shop/*) is bundled; every npm dependency stays external and is
// installed in the image by `pnpm deploy --prod`, so native and WASM packages load as usual.
//
// `pnpm build --link-workspace` (used by the benchmarks) writes the same bundles, but each
// external import names the file it resolves to in this checkout's node_modules: the bundles
// then run in place, without `pnpm deploy` (pnpm's isolated node_modules has no package of
// @shop/platform's in a service's own folder).
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { STACK_PROCESSES } from './stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const processes: Record<string, string> = Object.fromEntries(
  STACK_PROCESSES.map(({ name, dir }) => [name, dir]),
);

const isWorkspacePackage = (path: string) => path.startsWith('@shop/');

const npmDependenciesExternal: Plugin = {
  name: 'npm-dependencies-external',
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, (args) =>
      isWorkspacePackage(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

const RESOLVING = Symbol('resolving');
const npmDependenciesLinked: Plugin = {
  name: 'npm-dependencies-linked',
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (isWorkspacePackage(args.path) || args.pluginData === RESOLVING) return undefined;
      const found = await context.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: RESOLVING,
      });
      // Node built-ins (and anything esbuild cannot place) stay bare.
      if (found.errors.length > 0 || found.external || !isAbsolute(found.path)) {
        return { path: args.path, external: true };
      }
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

/** Bundles the named processes (all when none is named) into `<dir>/dist/main.js`. */
export async function buildBundles(only: string[] = [], linkWorkspace = false): Promise<void> {
  for (const [name, dir] of Object.entries(processes)) {
    if (only.length > 0 && !only.includes(name)) continue;
    await rm(resolve(root, dir, 'dist'), { recursive: true, force: true });
    await bundle(resolve(root, dir, 'src/main.ts'), resolve(root, dir, 'dist/main.js'), linkWorkspace);
    console.log(`built ${dir}/dist/main.js${linkWorkspace ? ' (dependencies linked to this checkout)' : ''}`);
  }
}

/** One entry point and the workspace code it imports, as one ES module (npm dependencies external). */
export async function bundle(entry: string, outfile: string, linkWorkspace: boolean): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    conditions: ['source'],
    tsconfig: resolve(root, 'tsconfig.json'),
    plugins: [linkWorkspace ? npmDependenciesLinked : npmDependenciesExternal],
    logLevel: 'warning',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  await buildBundles(
    args.filter((arg) => !arg.startsWith('--')),
    args.includes('--link-workspace'),
  );
}
