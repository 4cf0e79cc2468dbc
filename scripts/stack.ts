// The one definition of the six-process stack: which processes, where each lives, its port (an
// offset from the stack's base port), the environment that tells each where the others are, how a
// process is launched, and when it counts as ready. `pnpm dev` (scripts/dev.ts), the benchmarks
// (bench/stack.ts), the end-to-end suite (tests/e2e) and the ops tests (tests/ops) all use it.
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** In start order: the subgraphs, then the gateway (which reads the supergraph file, so all six may start at once). */
export const STACK_PROCESSES = [
  { name: 'users', dir: 'subgraphs/users', offset: 1 },
  { name: 'products', dir: 'subgraphs/products', offset: 2 },
  { name: 'orders', dir: 'subgraphs/orders', offset: 3 },
  { name: 'payments', dir: 'subgraphs/payments', offset: 4 },
  { name: 'notifications', dir: 'subgraphs/notifications', offset: 5 },
  { name: 'gateway', dir: 'gateway', offset: 0 },
] as const;
/** The gateway's internal Prometheus listener. */
const METRICS_OFFSET = 9;

export type ServiceName = (typeof STACK_PROCESSES)[number]['name'];
export type SubgraphName = Exclude<ServiceName, 'gateway'>;
export const SUBGRAPHS = STACK_PROCESSES.map(({ name }) => name).filter(
  (name): name is SubgraphName => name !== 'gateway',
);
export const serviceDir = (name: ServiceName): string =>
  STACK_PROCESSES.find((service) => service.name === name)?.dir ?? name;

export type StackPorts = Record<ServiceName | 'gatewayMetrics', number>;

/** The ports of a stack at `base` (3000 is `pnpm dev`'s, the services' defaults). */
export function stackPorts(base: number): StackPorts {
  return {
    ...(Object.fromEntries(STACK_PROCESSES.map(({ name, offset }) => [name, base + offset])) as Record<
      ServiceName,
      number
    >),
    gatewayMetrics: base + METRICS_OFFSET,
  };
}

export const graphqlUrl = (port: number): string => `http://127.0.0.1:${port}/graphql`;

/** Where each process listens (`<NAME>_PORT`, the gateway's METRICS_PORT) and finds the others (`<NAME>_URL`). */
export function stackAddressEnv(ports: StackPorts): Record<string, string> {
  const env: Record<string, string> = { METRICS_PORT: String(ports.gatewayMetrics) };
  for (const { name } of STACK_PROCESSES) {
    env[`${name.toUpperCase()}_PORT`] = String(ports[name]);
    if (name !== 'gateway') env[`${name.toUpperCase()}_URL`] = graphqlUrl(ports[name]);
  }
  return env;
}

/**
 * How a process runs: `tsx` (`src/main.ts` compiled at start, as `pnpm dev` does, without the
 * watch), or `bundle` (`dist/main.js`, as production images run it).
 */
export type Runtime = 'tsx' | 'bundle';

export interface Launch {
  cwd: string;
  args: string[];
}

export function serviceLaunch(name: ServiceName, runtime: Runtime = 'tsx', nodeArgs: string[] = []): Launch {
  const cwd = resolve(ROOT, serviceDir(name));
  return runtime === 'bundle'
    ? { cwd, args: [...nodeArgs, '--enable-source-maps', 'dist/main.js'] }
    : { cwd, args: [...nodeArgs, '--import', 'tsx', '--conditions=source', 'src/main.ts'] };
}

/** Starts a launch as a child process with the stack's environment on top of this one's. */
export function spawnLaunch(launch: Launch, env: Record<string, string>, stdio: StdioOptions): ChildProcess {
  return spawn(process.execPath, launch.args, {
    cwd: launch.cwd,
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(ROOT, 'tsconfig.json'), ...env },
    stdio,
  });
}

/**
 * Ready when `/health/ready` answers `up`: for the gateway, its broker and every subgraph too (it
 * serves while they are not, `degraded`). Fails early when the process exits.
 */
export async function waitReady(
  name: string,
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  hint = '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}${hint}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
      .then(async (response) => response.ok && ((await response.json()) as { status?: string }).status === 'up')
      .catch(() => false);
    if (ready) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${name} not ready after ${timeoutMs} ms${hint}`);
}

/** SIGTERM (the services' graceful stop), SIGKILL after `graceMs`. */
export async function stopProcesses(children: ChildProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
        }),
    ),
  );
}

/**
 * Drops the MongoDB databases a stack's run wrote (`<MONGO_DB_PREFIX>_<service>`), once its
 * processes have stopped: a test run leaves nothing behind in the developer's database server.
 * A failure is reported, not thrown: it must not hide the run's own (a server that never came up).
 */
export async function dropStackDatabases(env: Record<string, string | undefined>): Promise<void> {
  const { MONGO_URL: url, MONGO_DB_PREFIX: prefix } = env;
  if (!url || !prefix) throw new Error('dropStackDatabases: the stack has no MONGO_URL or MONGO_DB_PREFIX');
  // Loaded here: `pnpm dev` and the benchmarks use this module without a database client.
  const { default: mongoose } = await import('mongoose');
  let client: InstanceType<typeof mongoose.mongo.MongoClient> | undefined;
  try {
    client = await mongoose.mongo.MongoClient.connect(url, { serverSelectionTimeoutMS: 5_000 });
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) if (name.startsWith(`${prefix}_`)) await client.db(name).dropDatabase();
  } catch (error) {
    console.warn(`could not drop the databases ${prefix}_*: ${error instanceof Error ? error.message : error}`);
  } finally {
    await client?.close();
  }
}
