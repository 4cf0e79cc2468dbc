// What a process's image holds: from its `pnpm deploy --prod` folder (hoisted node_modules), only
// the files its bundle loads, found by tracing dist/main.js (@vercel/nft), plus the files it reads
// at run time, which no tracer can see. Used by the Dockerfile and tests/ops/bundles.test.ts:
//   tsx scripts/image-files.ts <deploy folder> <image folder>
import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeFileTrace } from '@vercel/nft';

/** Files or folders under the process's folder, or the files of a folder whose names match. */
type RunTimeFiles = string | { dir: string; match: RegExp };

/** Files read from disk at run time, per package name. */
const READ_AT_RUN_TIME: Record<string, RunTimeFiles[]> = {
  '@shop/gateway': [
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

/** Beside the bundle: its source map (stack traces) and the licence notices of what it bundles. */
const BESIDE_THE_BUNDLE = ['dist/main.js.map', 'dist/main.js.LEGAL.txt', 'package.json'];

/** Every file under `dir`, as paths relative to `base`. */
async function filesUnder(base: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(base, dir), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(base, join(entry.parentPath, entry.name)));
}

/** The image's files, relative to the deploy folder. */
export async function imageFiles(deployDir: string): Promise<string[]> {
  const { name } = JSON.parse(await readFile(join(deployDir, 'package.json'), 'utf8')) as { name: string };
  const traced = await nodeFileTrace([join(deployDir, 'dist/main.js')], { base: deployDir, processCwd: deployDir });
  const files = new Set([...traced.fileList, ...BESIDE_THE_BUNDLE]);
  for (const entry of READ_AT_RUN_TIME[name] ?? []) {
    for (const file of await runTimeFiles(deployDir, entry)) files.add(file);
  }
  return [...files].sort();
}

async function runTimeFiles(deployDir: string, entry: RunTimeFiles): Promise<string[]> {
  if (typeof entry === 'string') {
    return (await stat(join(deployDir, entry))).isDirectory() ? filesUnder(deployDir, entry) : [entry];
  }
  const names = await readdir(join(deployDir, entry.dir));
  const matches = names.filter((file) => entry.match.test(file)).map((file) => join(entry.dir, file));
  if (matches.length === 0) throw new Error(`no file in ${entry.dir} matches ${entry.match}`);
  return matches;
}

/** Copies the image's files from the deploy folder into `imageDir`, keeping their paths. */
export async function copyImageFiles(deployDir: string, imageDir: string): Promise<string[]> {
  const files = await imageFiles(deployDir);
  for (const file of files) {
    await mkdir(dirname(join(imageDir, file)), { recursive: true });
    // Dereferenced: a pnpm deploy folder may hold symlinks into its store.
    await cp(join(deployDir, file), join(imageDir, file), { dereference: true });
  }
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [deployDir, imageDir] = process.argv.slice(2);
  if (!deployDir || !imageDir) throw new Error('usage: tsx scripts/image-files.ts <deploy folder> <image folder>');
  const files = await copyImageFiles(resolve(deployDir), resolve(imageDir));
  console.log(`image-files: ${files.length} files from ${deployDir} to ${imageDir}`);
}
