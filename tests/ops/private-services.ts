// Private PostgreSQL and RabbitMQ instances (own ports, own data dirs under the OS temp dir) that a
// test may stop and start again, and the repository's processes run as real child processes.
// The shared servers on 5432/5672 are never touched.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { eventually, freePort, TEST_AMQP_URL, TEST_JWT_SECRET } from '@shop/platform/testing';
import { type Launch, ROOT, type ServiceName, serviceLaunch, spawnLaunch } from '../../scripts/stack.js';

export { type Launch, ROOT };

const LOG_DIR = resolve(ROOT, '.infra/logs');

const portOpen = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = new Socket();
    socket.once('connect', () => done(true)).once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
    socket.on('connect', () => socket.destroy());
  });

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((done) => child.once('exit', () => done()));

/** The local server binaries these tests run (scripts/infra-up.sh installs them without Docker). */
function requireBinary(path: string, install: string): string {
  if (!existsSync(path))
    throw new Error(`${path} is missing: install ${install} (pnpm infra:up with INFRA_NO_DOCKER=1)`);
  return path;
}

const PG_BIN = (() => {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  return dirname(requireBinary(`/usr/lib/postgresql/${versions.at(-1)}/bin/postgres`, 'postgresql'));
})();
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
/** PostgreSQL refuses to run as root: as root, its binaries run as the `postgres` user. */
const asPostgres = (command: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

/** A throwaway cluster, trust auth for `shop`, on its own port. */
export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'shop-pg-'));
  private child: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `postgresql://shop@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(this.dir, uid, gid);
    }
    const [command, args] = asPostgres(`${PG_BIN}/initdb`, [
      '-D',
      join(this.dir, 'data'),
      '-U',
      'shop',
      '--auth=trust',
    ]);
    execFileSync(command, args, { stdio: 'ignore' });
    await this.start();
  }

  async start(): Promise<void> {
    const [command, args] = asPostgres(`${PG_BIN}/postgres`, [
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
    ]);
    this.child = spawn(command, args, { stdio: 'ignore' });
    await eventually(() => portOpen(this.port), 30_000, 'private PostgreSQL up');
  }

  /** Immediate shutdown (SIGQUIT): every backend dies at once, as in a crash. */
  async stop(): Promise<void> {
    if (!this.child) return;
    const pid = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGQUIT');
    await exited(this.child);
    await eventually(async () => !(await portOpen(this.port)), 10_000, 'private PostgreSQL down');
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A RabbitMQ node of its own (name, ports, Mnesia dir, no plugins), restartable with its data. */
export class PrivateRabbit {
  readonly dir = mkdtempSync(join(tmpdir(), 'shop-rmq-'));
  private child: ChildProcess | undefined;
  port = 0;
  private distPort = 0;
  private readonly node = `shop-test-${process.pid}@localhost`;

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    this.distPort = await freePort();
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].');
    await this.start();
  }

  async start(): Promise<void> {
    const env = {
      ...process.env,
      HOME: this.dir,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(this.dir, 'pid'),
      RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq'),
    };
    this.child = spawn(requireBinary(RABBITMQ_SERVER, 'rabbitmq-server'), [], { cwd: this.dir, env, stdio: 'ignore' });
    await eventually(() => portOpen(this.port), 60_000, 'private RabbitMQ up');
  }

  /** Kills the Erlang VM (as a crash would): clients see their connections drop. */
  async stop(): Promise<void> {
    if (!this.child) return;
    process.kill(Number(readFileSync(join(this.dir, 'pid'), 'utf8').trim()), 'SIGKILL');
    await exited(this.child);
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The FerretDB binary infra:up built (Go's bin directory) or found on the PATH. */
function ferretdbBinary(): string {
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'ferretdb'));
  const goBin = (() => {
    try {
      return join(execFileSync('go', ['env', 'GOPATH']).toString().trim().split(':')[0] ?? '', 'bin', 'ferretdb');
    } catch {
      return join(process.env.HOME ?? '/root', 'go', 'bin', 'ferretdb');
    }
  })();
  const found = [...onPath, goBin].find((path) => existsSync(path));
  return requireBinary(found ?? goBin, 'FerretDB');
}

/** FerretDB on a PostgreSQL database of its own, with FerretDB's default settings (its pool of 50 among them). */
export class PrivateFerretDB {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'shop-ferretdb-'));
  private child: ChildProcess | undefined;
  port = 0;

  /** `postgresUrl` is read at start: a private PostgreSQL knows its port only once started. */
  constructor(private readonly postgresUrl: () => string) {}

  get url(): string {
    return `mongodb://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    mkdirSync(LOG_DIR, { recursive: true });
    const log = createWriteStream(resolve(LOG_DIR, 'ops-private-ferretdb.log'));
    this.child = spawn(
      ferretdbBinary(),
      [
        '--handler=pg',
        `--postgresql-url=${this.postgresUrl()}`,
        `--listen-addr=127.0.0.1:${this.port}`,
        `--state-dir=${this.stateDir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
    await eventually(() => portOpen(this.port), 30_000, 'private FerretDB up');
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await exited(this.child);
    this.child = undefined;
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** One of the repository's processes (`subgraphs/<name>` or `gateway`), run from source as in `pnpm dev`. */
export class ServiceProcess {
  readonly child: ChildProcess;
  private output = '';

  /** Logs go to `.infra/logs/ops-<dir>[-<label>].log`: a label keeps several runs of one process apart. */
  constructor(
    readonly dir: string,
    env: Record<string, string>,
    label?: string,
    launch: Launch = serviceLaunch(basename(dir) as ServiceName),
  ) {
    mkdirSync(LOG_DIR, { recursive: true });
    const name = [dir.replace('/', '-'), label].filter(Boolean).join('-');
    const log = createWriteStream(resolve(LOG_DIR, `ops-${name}.log`));
    this.child = spawnLaunch(
      launch,
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        GATEWAY_SIGNING_SECRETS: 'ops-gateway-signing-secret-long-enough',
        ...env,
      },
      ['ignore', 'pipe', 'pipe'],
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.pipe(log);
      stream?.on('data', (chunk) => {
        this.output += chunk;
      });
    }
  }

  /** What the process printed so far (its JSON log lines). */
  logs(): string {
    return this.output;
  }

  exited(): Promise<void> {
    return exited(this.child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited();
    clearTimeout(timer);
  }
}

/** The processes' token secret: the one every test signs with (`createTestTokens`). */
export const JWT_SECRET = TEST_JWT_SECRET;

/** A gateway's environment on two fresh ports (GraphQL, metrics), every subgraph at `subgraphUrl`. */
export async function gatewayEnv(
  subgraphUrl: string,
): Promise<{ env: Record<string, string>; port: number; metricsPort: number }> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const subgraphs = ['USERS', 'PRODUCTS', 'ORDERS', 'PAYMENTS', 'NOTIFICATIONS'].map((name) => [
    `${name}_URL`,
    subgraphUrl,
  ]);
  const env = {
    JWT_SECRET,
    GATEWAY_PORT: String(port),
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '127.0.0.1',
    AMQP_URL: TEST_AMQP_URL,
    ...Object.fromEntries(subgraphs),
  };
  return { env, port, metricsPort };
}

export interface Readiness {
  status: number;
  body: { status: string; checks: Partial<Record<string, { status: string; error?: string }>> };
}

export async function readiness(port: number): Promise<Readiness> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}
