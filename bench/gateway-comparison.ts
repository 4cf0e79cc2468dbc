// `pnpm bench:gateways`: The Guild's gateways benchmark (its Rust subgraphs, its query, its
// supergraph) against our gateway and the field, in one run (see guild-benchmark-source.ts):
// - ours with its defaults, and with every request-sharing feature off (subgraph deduplication,
//   operation coalescing; plain mode has no response cache), each as a plain gateway for the
//   benchmark's supergraph (gateway/src/plain), under tsx with NODE_ENV=production;
// - vanilla @apollo/gateway as the benchmark sets it up (reference-apollo-gateway.ts);
// - Hive Gateway (@graphql-hive/gateway) as the benchmark runs it, `--jit`, one process, with
//   `inboundInflightRequestDeduplication`, and once more without it (sharing off on both sides).
// Every target must answer exactly the benchmark's expected data before it is timed; under load
// every answer must be byte for byte the one it gave then (autocannon's expectBody). The targets
// take turns in rounds (load.ts); CPU and peak RSS count each target's processes during its turns.
// Ports: GATEWAYS_BENCH_PORT_BASE (default 5720) and the next eight.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  type BenchmarkQuery,
  benchmarkDir,
  buildSubgraphs,
  readBenchmarkQuery,
  startSubgraphs,
  workDir,
  writeSupergraph,
} from './guild-benchmark-source.js';
import { compare, type Figures, type LoadPlan, loadAverage, printTable, type Target } from './load.js';
import { ProcessUsage } from './process-usage.js';
import { root, stop } from './stack.js';

const portBase = Number(process.env.GATEWAYS_BENCH_PORT_BASE ?? 5720);
const PORTS = {
  subgraphs: portBase,
  ours: portBase + 1,
  oursOff: portBase + 2,
  vanilla: portBase + 3,
  hive: portBase + 4,
  hiveOff: portBase + 5,
  oursMetrics: portBase + 6,
  oursOffMetrics: portBase + 7,
};

interface Gateway {
  name: string;
  port: number;
  child: ChildProcess;
  /** A URL answering 2xx once it serves (or none: ready when it answers a query). */
  readyUrl?: string;
}

/** Nothing of the caller's environment (e.g. a USERS_URL, a FORK) reaches the targets. */
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production' });

function spawnGateway(args: string[], env: Record<string, string>, cwd = root): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code, signal) => code && !signal && console.error(`${args.at(-1)} exited with ${code}`));
  return child;
}

/**
 * BENCH_CPU_PROF=gateway: each of our targets writes V8 CPU profiles (its main thread's and tsx's
 * loader thread's) on exit, to tmp/bench-profiles/gateways-<port>-<time>/.
 */
const cpuProfile = (port: number) =>
  (process.env.BENCH_CPU_PROF ?? '').split(',').includes('gateway')
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(root, `tmp/bench-profiles/gateways-${port}-${Date.now()}`)}`]
    : [];

function ours(
  name: string,
  port: number,
  metricsPort: number,
  supergraph: string,
  env: Record<string, string>,
): Gateway {
  const script = ['--import', 'tsx', '--conditions=source', 'gateway/src/plain/plain-main.ts'];
  const child = spawnGateway([...cpuProfile(port), ...script], {
    TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'),
    LOG_LEVEL: 'warn',
    JWT_SECRET: 'bench-secret-which-is-long-enough-for-hs256',
    GATEWAY_SIGNING_SECRETS: 'bench-gateway-signing-secret-long-enough',
    SUPERGRAPH_PATH: supergraph,
    GATEWAY_PORT: String(port),
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '127.0.0.1',
    ...env,
  });
  return { name, port, child, readyUrl: `http://127.0.0.1:${port}/health/ready` };
}

function vanilla(supergraph: string): Gateway {
  const child = spawnGateway(['--import', 'tsx', 'bench/reference-apollo-gateway.ts'], {
    SUPERGRAPH_PATH: supergraph,
    PORT: String(PORTS.vanilla),
  });
  return { name: 'vanilla @apollo/gateway', port: PORTS.vanilla, child };
}

/** Hive Gateway's CLI as the benchmark's package.json runs it, with a config file of `options`. */
async function hive(
  name: string,
  port: number,
  supergraph: string,
  options: Record<string, unknown>,
): Promise<Gateway> {
  const dir = resolve(workDir, `hive-${port}`);
  await mkdir(dir, { recursive: true });
  const config = resolve(dir, 'gateway.config.mjs');
  await writeFile(config, `export const gatewayConfig = ${JSON.stringify(options)};\n`);
  const bin = resolve(createRequire(import.meta.url).resolve('@graphql-hive/gateway'), '../bin.js');
  const args = [bin, 'supergraph', supergraph, '--jit', '--fork', '1', '--port', String(port), '-c', config];
  return { name, port, child: spawnGateway(args, {}, dir) };
}

const graphqlUrl = (gateway: Gateway) => `http://127.0.0.1:${gateway.port}/graphql`;

async function waitReady(gateway: Gateway): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (gateway.child.exitCode !== null) throw new Error(`${gateway.name} exited with ${gateway.child.exitCode}`);
    const up = gateway.readyUrl
      ? await fetch(gateway.readyUrl).then(
          (response) => response.ok,
          () => false,
        )
      : await post(graphqlUrl(gateway), '{"query":"{ __typename }"}').then(
          (text) => text.includes('"data"'),
          () => false,
        );
    if (up) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${gateway.name} did not come up`);
}

async function post(url: string, body: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return response.text();
}

/** The target's answer, once it is exactly the benchmark's expected data (no errors): what every timed answer must be. */
async function checkedAnswer(gateway: Gateway, query: BenchmarkQuery): Promise<string> {
  const text = await post(graphqlUrl(gateway), query.body);
  const answer = JSON.parse(text) as unknown;
  if (!isDeepStrictEqual(answer, query.expected)) {
    const where = firstDifference(answer, query.expected, '');
    throw new Error(
      `${gateway.name} does not answer the benchmark's expected data, at ${where}: ${text.slice(0, 300)}`,
    );
  }
  return text;
}

/** Where two JSON values first differ: a path and both values there. */
function firstDifference(actual: unknown, expected: unknown, path: string): string {
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return `${path || '/'}: ${JSON.stringify(actual)?.slice(0, 100)} instead of ${JSON.stringify(expected)?.slice(0, 100)}`;
  }
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const key of keys) {
    const [a, b] = [(actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]];
    if (!isDeepStrictEqual(a, b)) return firstDifference(a, b, `${path}/${key}`);
  }
  return `${path || '/'}: ${Array.isArray(actual) ? 'array' : 'object'} shapes differ`;
}

export interface GatewayComparisonOptions {
  plan: LoadPlan;
  /** Our gateway's extra settings (both of our targets). */
  gatewayEnv: Record<string, string>;
}

export async function gatewayComparison({ plan, gatewayEnv }: GatewayComparisonOptions): Promise<void> {
  console.log(`benchmark: ${benchmarkDir}`);
  const binary = await buildSubgraphs();
  const query = await readBenchmarkQuery();
  const supergraph = await writeSupergraph(PORTS.subgraphs);
  const children: ChildProcess[] = [];
  try {
    children.push(await startSubgraphs(binary, PORTS.subgraphs));
    const off = { SUBGRAPH_DEDUPLICATION: 'false', OPERATION_COALESCING: 'false' };
    const gateways: Gateway[] = [];
    // One at a time: start-up does not compete, and each is idle while the others start.
    for (const make of [
      () => ours('ours, defaults', PORTS.ours, PORTS.oursMetrics, supergraph, gatewayEnv),
      () => ours('ours, sharing off', PORTS.oursOff, PORTS.oursOffMetrics, supergraph, { ...gatewayEnv, ...off }),
      () => vanilla(supergraph),
      () =>
        hive('Hive Gateway, benchmark config', PORTS.hive, supergraph, { inboundInflightRequestDeduplication: true }),
      () => hive('Hive Gateway, inbound dedup off', PORTS.hiveOff, supergraph, {}),
    ]) {
      const gateway = await make();
      children.push(gateway.child);
      gateways.push(gateway);
      await waitReady(gateway);
    }
    const answers = await Promise.all(gateways.map((gateway) => checkedAnswer(gateway, query)));
    // Targets grouped by the exact bytes of their answer.
    const groups = new Map<string, string[]>();
    for (const [index, answer] of answers.entries()) {
      groups.set(answer, [...(groups.get(answer) ?? []), gateways[index]?.name ?? '']);
    }
    console.log(
      `every target answers the expected data (${(answers[0]?.length ?? 0).toLocaleString('en')} bytes); ` +
        `byte for byte the same: ${[...groups.values()].map((names) => names.join(' = ')).join('; ')}`,
    );
    const usage = new Map(gateways.map((gateway) => [gateway.name, new ProcessUsage(gateway.child.pid ?? -1)]));
    const targets: Target[] = gateways.map((gateway, index) => ({
      name: gateway.name,
      http: { url: graphqlUrl(gateway), body: query.body, headers: {}, expectBody: answers[index] },
      onTurn: usage.get(gateway.name)?.turn,
    }));
    const loadBefore = loadAverage();
    console.log(`load average before: ${loadBefore}`);
    const figures = await compare(targets, plan);
    const loadAfter = loadAverage();
    printReport(figures, usage, plan);
    console.log(`\nload average before ${loadBefore}, after ${loadAfter}`);
  } finally {
    await stop(children);
  }
}

function printReport(figures: Figures[], usage: Map<string, ProcessUsage>, plan: LoadPlan): void {
  printTable(
    `The Guild's gateways benchmark: ${cpus().length} cores, Node ${process.version}, ` +
      `${plan.concurrency} connections, ${plan.rounds} rounds, ${plan.measureSeconds} s measured per target`,
    figures,
    {
      headers: ['CPU ms/request', 'CPU %', 'peak RSS MiB'],
      cells: (f) => {
        const used = usage.get(f.name);
        const cpuMs = used?.cpuMs ?? Number.NaN;
        return [
          (cpuMs / f.requests).toFixed(2),
          ((cpuMs / (f.seconds * 1000)) * 100).toFixed(0),
          ((used?.peakRssBytes ?? 0) / 2 ** 20).toFixed(0),
        ];
      },
    },
  );
  const rps = new Map(figures.map((f) => [f.name, f.rps]));
  const ratio = (a: string, b: string) => `×${((rps.get(a) ?? Number.NaN) / (rps.get(b) ?? Number.NaN)).toFixed(2)}`;
  console.log(
    `\nreq/s ratios: ours/Hive ${ratio('ours, defaults', 'Hive Gateway, benchmark config')}, ` +
      `ours/vanilla ${ratio('ours, defaults', 'vanilla @apollo/gateway')}; sharing off on both sides: ` +
      `ours/Hive ${ratio('ours, sharing off', 'Hive Gateway, inbound dedup off')}, ` +
      `ours/vanilla ${ratio('ours, sharing off', 'vanilla @apollo/gateway')}`,
  );
}
