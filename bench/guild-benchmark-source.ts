// The Guild's graphql-gateways-benchmark (third-party, MIT), used where it lies and never copied
// into the repository: ../shared/gateways-benchmark beside the checkout, or GATEWAYS_BENCHMARK_DIR.
// That folder is read-only: its Rust subgraphs build from a working copy in
// .infra/gateways-benchmark/source into .infra/gateways-benchmark/target, and the supergraph,
// rerouted to the port the subgraphs listen on here, is written beside them. The query
// and its expected answer are read from its k6.js at run time.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { root } from './stack.js';

export const benchmarkDir = resolve(
  process.env.GATEWAYS_BENCHMARK_DIR ?? resolve(root, '../shared/gateways-benchmark'),
);
/** What this project makes of it (git-ignored): cargo's target folder, the rerouted supergraph, Hive's configs. */
export const workDir = resolve(root, '.infra/gateways-benchmark');
const targetDir = resolve(workDir, 'target');

export interface BenchmarkQuery {
  /** The request body k6 sends: `JSON.stringify({ query })`. */
  body: string;
  /** The answer k6.js expects (its `expectedStructure`). */
  expected: unknown;
}

/** The benchmark's query and expected answer, as its k6.js holds them. */
export async function readBenchmarkQuery(): Promise<BenchmarkQuery> {
  const k6 = await readFile(resolve(benchmarkDir, 'k6.js'), 'utf8');
  const query = /payload: JSON\.stringify\(\{\s*query: `([^`]*)`/.exec(k6)?.[1];
  const expectedStart = k6.indexOf('const expectedStructure = ');
  const expectedEnd = k6.indexOf(';\n  return checkRecursive(', expectedStart);
  if (!query || expectedStart < 0 || expectedEnd < 0)
    throw new Error(`${benchmarkDir}/k6.js: query or expected answer not found`);
  // An object literal (unquoted keys), not JSON: evaluated alone, in an empty context, then made
  // plain JSON data of this realm (the other realm's prototypes would fail every deep equality).
  const literal = k6.slice(expectedStart + 'const expectedStructure = '.length, expectedEnd);
  const expected = JSON.parse(runInNewContext(`JSON.stringify(${literal})`, Object.create(null)) as string);
  return { body: JSON.stringify({ query }), expected };
}

/**
 * The benchmark's supergraph with its routing URLs (`http://0.0.0.0:4200/<name>`) moved to the
 * port its subgraphs listen on in this run; the paths stay the benchmark's. Returns the file.
 */
export async function writeSupergraph(subgraphsPort: number): Promise<string> {
  const sdl = await readFile(resolve(benchmarkDir, 'gateways/apollo-gateway/supergraph.graphql'), 'utf8');
  const rerouted = sdl.replaceAll('http://0.0.0.0:4200/', `http://127.0.0.1:${subgraphsPort}/`);
  if (rerouted === sdl) throw new Error('the benchmark supergraph names no http://0.0.0.0:4200/ subgraph');
  await mkdir(workDir, { recursive: true });
  const path = resolve(workDir, 'supergraph.graphql');
  await writeFile(path, rerouted);
  return path;
}

/**
 * `cargo build --release --locked` of the four subgraphs (one binary); about 30 s once dependencies
 * are built. From a writable copy: when the benchmark's Cargo.lock no longer matches its
 * Cargo.toml (as in its copy of 2 Dec 2026), cargo must resolve anew and write the lock, which
 * it cannot do in the read-only folder; the run says so.
 */
export async function buildSubgraphs(): Promise<string> {
  const startedAt = performance.now();
  const source = resolve(workDir, 'source');
  await rm(source, { recursive: true, force: true });
  await mkdir(source, { recursive: true });
  for (const entry of ['Cargo.toml', 'Cargo.lock', 'subgraphs']) {
    await cp(resolve(benchmarkDir, entry), resolve(source, entry), { recursive: true });
  }
  await chmod(resolve(source, 'Cargo.lock'), 0o644);
  const cargo = (args: string[]) =>
    promisify(execFile)('cargo', ['build', '--release', ...args], {
      cwd: source,
      env: { ...process.env, CARGO_TARGET_DIR: targetDir },
      maxBuffer: 64 * 2 ** 20,
    });
  await cargo(['--locked']).catch(async (error: { stderr?: string }) => {
    if (!error.stderr?.includes('cannot update the lock file')) throw error;
    console.log("the benchmark's Cargo.lock does not match its Cargo.toml: cargo resolves the dependencies anew");
    await cargo([]);
  });
  console.log(`subgraphs built in ${((performance.now() - startedAt) / 1000).toFixed(0)} s (cargo, ${targetDir})`);
  return resolve(targetDir, 'release/subgraphs');
}

/** Starts the subgraphs' binary on 127.0.0.1:`port`; ready when `/health` answers. */
export async function startSubgraphs(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(binary, [], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`subgraphs exited with ${child.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return child;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`subgraphs did not come up on port ${port}`);
}
