// `pnpm bench:gateway-start [--checkout DIR] [--runtime tsx|bundle] [--runs N]`
//
// The gateway alone, from spawn to `/health/live`, and the modules it has loaded by then: its
// subgraphs unreachable (nothing else starts), the test broker for its event feed. Each run spawns
// `gateway/src/main.ts` under tsx (as `pnpm dev`) or the production bundle (as `pnpm build` makes it
// for the image, npm dependencies included; this checkout only) with this checkout's module recorder, and prints the median time and the module
// count, split into workspace files and npm packages, with the packages that only subgraphs need.
// `--checkout` measures another working tree of the repository (an older commit, installed with
// `pnpm install`), so a change's before and after are measured by one script on one machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, TEST_AMQP_URL } from '@shop/platform/testing';
import { bundle } from '../scripts/build.js';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};
const checkout = resolve(option('checkout', ROOT));
const runtime = option('runtime', 'tsx');
const runs = Number(option('runs', '5'));
const SUBGRAPH_ONLY = [
  'mongoose',
  '@typegoose/typegoose',
  '@apollo/subgraph',
  'type-graphql',
  'reflect-metadata',
  '@prisma/client',
];

interface Run {
  liveMs: number;
  modules: string[];
}

async function startOnce(main: string[]): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'shop-gateway-start-'));
  const moduleList = join(dir, 'modules.json');
  const [port, metricsPort, nobody] = [await freePort(), await freePort(), await freePort()];
  const unreachable = `http://127.0.0.1:${nobody}/graphql`;
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    JWT_SECRET: 'bench-secret-which-is-long-enough-for-hs256',
    GATEWAY_SIGNING_SECRETS: 'bench-gateway-signing-secret-long-enough',
    GATEWAY_PORT: String(port),
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '127.0.0.1',
    AMQP_URL: TEST_AMQP_URL,
    SUPERGRAPH_PATH: join(checkout, 'supergraph.graphql'),
    MODULE_LIST_FILE: moduleList,
    // The root tsconfig, as `pnpm dev` passes it (older commits' gateway compiled decorators).
    TSX_TSCONFIG_PATH: join(checkout, 'tsconfig.json'),
    ...Object.fromEntries(
      ['USERS', 'PRODUCTS', 'ORDERS', 'PAYMENTS', 'NOTIFICATIONS'].map((n) => [`${n}_URL`, unreachable]),
    ),
  };
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--import', join(ROOT, 'tests/ops/module-recorder.mjs'), ...main], {
    cwd: join(checkout, 'gateway'),
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} before it was live`);
      const live = await fetch(`http://127.0.0.1:${port}/health/live`).then(
        (response) => response.ok,
        () => false,
      );
      if (live) break;
      await new Promise((wait) => setTimeout(wait, 10));
    }
    const liveMs = performance.now() - startedAt;
    child.kill('SIGTERM');
    await exited;
    return { liveMs, modules: JSON.parse(readFileSync(moduleList, 'utf8')) as string[] };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `…/node_modules/.pnpm/x@1/node_modules/@scope/name/…` → `@scope/name`; null for workspace files. */
function packageOf(url: string): string | null {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return null;
  const [first, second] = url.slice(at + '/node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? null);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

let main = ['--import', 'tsx', '--conditions=source', 'src/main.ts'];
let bundled: string | undefined;
if (runtime === 'bundle') {
  if (checkout !== ROOT) throw new Error('--runtime bundle builds this checkout only');
  bundled = join(ROOT, 'gateway/dist/start-bench.js');
  await bundle(join(ROOT, 'gateway/src/main.ts'), bundled, false);
  main = ['--enable-source-maps', bundled];
  console.info(
    `bundle: ${(statSync(bundled).size / 1024).toFixed(0)} kB (its npm dependencies inside: the module list shows the one file)`,
  );
}
console.info(`# gateway start: ${checkout} (${runtime}), ${runs} runs; load average before: ${loadavg().join(' ')}`);
const results: Run[] = [];
try {
  // One unmeasured start first: the operating system's file cache, not the gateway, is cold then.
  await startOnce(main);
  for (let i = 0; i < runs; i++) results.push(await startOnce(main));
} finally {
  if (bundled) for (const file of [bundled, `${bundled}.map`]) rmSync(file, { force: true });
}
const modules = results[0]?.modules ?? [];
const packages = new Set(modules.map(packageOf).filter((name) => name !== null));
const workspaceFiles = modules.filter((url) => packageOf(url) === null).length;
console.info(`live after (ms): ${results.map((run) => run.liveMs.toFixed(0)).join(', ')}`);
console.info(`median live after: ${median(results.map((run) => run.liveMs)).toFixed(0)} ms`);
console.info(
  `modules loaded: ${modules.length} (${workspaceFiles} workspace files, ${modules.length - workspaceFiles} from ${packages.size} npm packages)`,
);
console.info(
  `subgraph-only packages loaded: ${SUBGRAPH_ONLY.filter((name) => packages.has(name)).join(', ') || 'none'}`,
);
console.info(`load average after: ${loadavg().join(' ')}`);
