// `pnpm compose`: prints every subgraph's SDL into its schema.graphql and composes
// supergraph.graphql, with no running server. `--check` fails if either is stale.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { composeServices } from '@apollo/composition';
import { parse as parseGraphql } from 'graphql';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const run = promisify(execFile);

interface SupergraphConfig {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

async function printSdl(name: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'scripts/print-subgraph-sdl.ts', name],
    { cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json') }, maxBuffer: 1 << 24 },
  );
  return `${stdout.trimEnd()}\n`;
}

async function readOrEmpty(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

const config = parseYaml(await readFile(resolve(root, 'supergraph.yaml'), 'utf8')) as SupergraphConfig;
const subgraphs = await Promise.all(
  Object.entries(config.subgraphs).map(async ([name, entry]) => ({
    name,
    url: entry.routing_url,
    file: resolve(root, entry.schema.file),
    sdl: await printSdl(name),
  })),
);

const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parseGraphql(sdl) })));
if (result.errors) {
  for (const error of result.errors) console.error(`composition error: ${error.message}`);
  process.exit(1);
}
for (const hint of result.hints ?? []) console.warn(`hint: ${hint.toString()}`);

const outputs = [
  ...subgraphs.map(({ file, sdl }) => ({ file, text: sdl })),
  { file: resolve(root, 'supergraph.graphql'), text: `${result.supergraphSdl.trimEnd()}\n` },
];
let stale = false;
for (const { file, text } of outputs) {
  const current = await readOrEmpty(file);
  if (current === text) continue;
  if (check) {
    console.error(`stale: ${file.slice(root.length + 1)} (run pnpm compose)`);
    stale = true;
  } else {
    await writeFile(file, text);
    console.log(`wrote ${file.slice(root.length + 1)}`);
  }
}
if (stale) process.exit(1);
console.log(check ? 'supergraph is up to date' : 'supergraph composed');
