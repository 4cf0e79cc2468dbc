// What a process's image holds: only the files its bundles load, found by tracing
// <dir>/dist/main.js and <dir>/dist/ops.js (@vercel/nft) through this workspace's node_modules,
// plus the files it reads at run time, which no tracer can see. The packages are the ones `pnpm install --frozen-lockfile`
// installed, so an image runs exactly the lockfile's versions and building one asks no registry.
//
// Layout: the process's folder is the image's root, with pnpm's package store (node_modules/.pnpm)
// under its node_modules and pnpm's links kept, so Node resolves each package as it does here.
// Used by the Dockerfile and tests/ops/bundles.test.ts:
//   tsx scripts/image-files.ts <process> <image folder>
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, realpath, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeFileTrace } from '@vercel/nft';
import { ENTRY_POINTS } from './build.js';
import { ROOT, type ServiceName, STACK_PROCESSES, serviceDir } from './stack.js';

/** Files or folders under the process's folder, or the files of a folder whose names match. */
type RunTimeFiles = string | { dir: string; match: RegExp };

/** Files read from disk at run time, per process. */
const READ_AT_RUN_TIME: Partial<Record<ServiceName, RunTimeFiles[]>> = {
  gateway: [
    // The order tracker page (gateway/src/tracker/use-tracker.ts).
    'src/tracker/static',
    // graphql-ws's browser build, which the tracker page loads (GRAPHQL_WS_FILE in use-tracker.ts).
    'node_modules/graphql-ws/package.json',
    { dir: 'node_modules/graphql-ws/dist', match: /^(client|common-[\w-]+)\.js$/ },
    // Swagger UI, the two files its page loads (gateway/src/rest/api-docs.ts).
    'node_modules/swagger-ui-dist/package.json',
    'node_modules/swagger-ui-dist/swagger-ui.css',
    'node_modules/swagger-ui-dist/swagger-ui-bundle.js',
  ],
};

/** Beside each bundle: its source map (stack traces) and the licence notices of what it bundles. */
const besideTheBundle = (bundle: string) => [`${bundle}.map`, `${bundle}.LEGAL.txt`];

/** Read by a bundle from outside its folder, and given to the image apart (the Dockerfile copies it). */
const GIVEN_APART = new Set(['supergraph.graphql']);

const STORE = 'node_modules/.pnpm/';

/** A file to copy or a link to make, each with its path in the image. */
type ImageEntry = { kind: 'file'; from: string; to: string } | { kind: 'link'; to: string; target: string };

/** The image's files and links, for the process `name`: every path relative to the image's root. */
export async function imageEntries(name: ServiceName): Promise<ImageEntry[]> {
  const dir = serviceDir(name);
  // The process, and its operator commands where it has them (scripts/build.ts).
  const bundles = ENTRY_POINTS.map((entry) => `dist/${entry}.js`).filter((bundle) =>
    existsSync(join(ROOT, dir, bundle)),
  );
  const traced = await nodeFileTrace(
    bundles.map((bundle) => join(ROOT, dir, bundle)),
    { base: ROOT, processCwd: join(ROOT, dir) },
  );
  const paths = new Set([...traced.fileList].filter((path) => !GIVEN_APART.has(path)));
  for (const file of ['package.json', ...bundles.flatMap(besideTheBundle)]) paths.add(join(dir, file));
  for (const entry of READ_AT_RUN_TIME[name] ?? []) {
    for (const file of await runTimeFiles(join(ROOT, dir), entry)) paths.add(join(dir, file));
  }
  const entries = new Map<string, ImageEntry>();
  for (const path of paths) {
    for (const entry of await entriesFor(path, dir)) entries.set(entry.to, entry);
  }
  return [...entries.values()].sort((a, b) => a.to.localeCompare(b.to));
}

/**
 * The file at `path` (relative to the workspace) and every link on the way to it: pnpm reaches a
 * package through a link from the folder that depends on it into the store.
 */
async function entriesFor(path: string, dir: string): Promise<ImageEntry[]> {
  const entries: ImageEntry[] = [];
  let reached = '';
  for (const part of path.split('/')) {
    const next = reached ? `${reached}/${part}` : part;
    if ((await lstat(join(ROOT, next))).isSymbolicLink()) {
      const target = relative(ROOT, await realpath(join(ROOT, next)));
      entries.push({ kind: 'link', to: inImage(next, dir), target: inImage(target, dir) });
      reached = target;
    } else {
      reached = next;
    }
  }
  if (!(await lstat(join(ROOT, reached))).isDirectory()) {
    entries.push({ kind: 'file', from: reached, to: inImage(reached, dir) });
  }
  return entries;
}

/** Where a workspace path sits in the image of the process in `dir`. */
function inImage(path: string, dir: string): string {
  if (path.startsWith(`${dir}/`)) return path.slice(dir.length + 1);
  if (path.startsWith(STORE)) return path;
  throw new Error(`${path} is loaded by ${dir}'s bundle but is neither in ${dir} nor in ${STORE}`);
}

async function runTimeFiles(processDir: string, entry: RunTimeFiles): Promise<string[]> {
  if (typeof entry === 'string') {
    if (!(await stat(join(processDir, entry))).isDirectory()) return [entry];
    const found = await readdir(join(processDir, entry), { recursive: true, withFileTypes: true });
    return found.filter((file) => file.isFile()).map((file) => relative(processDir, join(file.parentPath, file.name)));
  }
  const names = await readdir(join(processDir, entry.dir));
  const matches = names.filter((file) => entry.match.test(file)).map((file) => join(entry.dir, file));
  if (matches.length === 0) throw new Error(`no file in ${entry.dir} matches ${entry.match}`);
  return matches;
}

/** Writes the image's files and links for the process `name` into `imageDir`. */
export async function copyImageFiles(name: ServiceName, imageDir: string): Promise<ImageEntry[]> {
  const entries = await imageEntries(name);
  for (const entry of entries) {
    const to = join(imageDir, entry.to);
    await mkdir(dirname(to), { recursive: true });
    if (entry.kind === 'file') await cp(join(ROOT, entry.from), to);
    else await symlink(relative(dirname(to), join(imageDir, entry.target)), to);
  }
  return entries;
}

/**
 * Every process's image folder under `root` (`<root>/<process>`), laid out as the Dockerfile lays it
 * out: its image files, and the supergraph beside them. Run after `pnpm build`.
 */
export async function layOutImages(root: string): Promise<void> {
  for (const { name } of STACK_PROCESSES) {
    await copyImageFiles(name, join(root, name));
    await cp(join(ROOT, 'supergraph.graphql'), join(root, name, 'supergraph.graphql'));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [name, imageDir] = process.argv.slice(2);
  const known = STACK_PROCESSES.find((stackProcess) => stackProcess.name === name);
  if (!known || !imageDir) throw new Error('usage: tsx scripts/image-files.ts <process> <image folder>');
  const entries = await copyImageFiles(known.name, resolve(imageDir));
  console.log(`image-files: ${entries.length} files and links for ${name} in ${imageDir}`);
}
