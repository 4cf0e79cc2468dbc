// `pnpm build`: one bundled ES module per process (<service>/dist/main.js) for production
// images. The process's code, the workspace packages and its npm dependencies are bundled, except
// NOT_BUNDLED; the image then holds only the files the bundle loads (scripts/image-files.ts).
//
// `pnpm build --link-workspace` (used by the benchmarks) bundles workspace code only, and each npm
// import names the file it resolves to in this checkout's node_modules: the bundles then run in
// place (pnpm's isolated node_modules has no package of @shop/platform's in a service's folder).
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { STACK_PROCESSES } from './stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const processes: Record<string, string> = Object.fromEntries(
  STACK_PROCESSES.map(({ name, dir }) => [name, dir]),
);

/** The process (every one has it) and its operator commands (those with consumers or an outbox). */
export const ENTRY_POINTS = ['main', 'ops'] as const;

const isWorkspacePackage = (path: string) => path.startsWith('@shop/');

/** Packages a production bundle imports at run time instead of holding. */
const NOT_BUNDLED = [
  // A native addon: its compiled binding is loaded from the package's folder.
  'argon2',
  // Optional peers that are not installed: imported only when a feature we leave off is on
  // (type-graphql's class-validator integration, pg's libpq binding).
  'class-validator',
  'pg-native',
];

// Bundled CommonJS code calls `require` (for Node built-ins, too), which an ES module lacks.
const DEFINE_REQUIRE =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

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

/**
 * Bundles the named processes (all when none is named) into `<dir>/dist/main.js`, and the
 * operator commands of those that have them (`src/ops.ts`) into `<dir>/dist/ops.js`.
 */
export async function buildBundles(only: string[] = [], linkWorkspace = false): Promise<void> {
  for (const [name, dir] of Object.entries(processes)) {
    if (only.length > 0 && !only.includes(name)) continue;
    await rm(resolve(root, dir, 'dist'), { recursive: true, force: true });
    for (const entry of ENTRY_POINTS) {
      if (!existsSync(resolve(root, dir, `src/${entry}.ts`))) continue;
      await bundle(resolve(root, dir, `src/${entry}.ts`), resolve(root, dir, `dist/${entry}.js`), linkWorkspace);
      console.log(`built ${dir}/dist/${entry}.js${linkWorkspace ? ' (dependencies linked to this checkout)' : ''}`);
    }
  }
}

/**
 * One entry point and everything it imports as one ES module; with `linkWorkspace`, the workspace
 * code only (npm imports point into this checkout).
 */
export async function bundle(entry: string, outfile: string, linkWorkspace: boolean): Promise<void> {
  const common: BuildOptions = {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    tsconfig: resolve(root, 'tsconfig.json'),
    logLevel: 'warning',
  };
  if (linkWorkspace) {
    await build({ ...common, sourcemap: true, plugins: [npmDependenciesLinked] });
    return;
  }
  await build({
    ...common,
    external: NOT_BUNDLED,
    banner: { js: DEFINE_REQUIRE },
    // Stack traces map back to the sources (`node --enable-source-maps`); the sources stay out.
    sourcemap: true,
    sourcesContent: false,
    // Smaller and quicker to parse; identifiers and class names stay (type-graphql and typegoose read them).
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    // Third-party licence notices, collected beside the bundle.
    legalComments: 'linked',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  await buildBundles(
    args.filter((arg) => !arg.startsWith('--')),
    args.includes('--link-workspace'),
  );
}
