// Vitest global setup for the e2e project: starts the five subgraphs and the gateway as real
// processes against the real backing services, waits until each is ready, stops them after.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ADMIN, GATEWAY, PORTS, stackEnv } from './stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const logDir = resolve(root, '.infra/logs');
/** e2e-<service>.log, or e2e-<port>-<service>.log for a stack moved by E2E_PORT_BASE. */
const logName = (service: string) =>
  PORTS.gateway === 4000 ? `e2e-${service}.log` : `e2e-${PORTS.gateway}-${service}.log`;
// Generous: on a busy shared machine, tsx compiling six processes at once can take minutes.
const READY_TIMEOUT_MS = 240_000;

const services = [
  { name: 'users', dir: 'subgraphs/users', port: PORTS.users },
  { name: 'products', dir: 'subgraphs/products', port: PORTS.products },
  { name: 'orders', dir: 'subgraphs/orders', port: PORTS.orders },
  { name: 'payments', dir: 'subgraphs/payments', port: PORTS.payments },
  { name: 'notifications', dir: 'subgraphs/notifications', port: PORTS.notifications },
  { name: 'gateway', dir: 'gateway', port: PORTS.gateway },
];

async function waitReady(name: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode}; see .infra/logs/${logName(name)}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ready) return;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms; see .infra/logs/${logName(name)}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(logDir, { recursive: true });
  const env = {
    ...process.env,
    ...stackEnv(Date.now().toString(36)),
    TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'),
  };
  const children = services.map((service) => {
    const log = createWriteStream(resolve(logDir, logName(service.name)));
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], {
      cwd: resolve(root, service.dir),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return { ...service, child };
  });
  const stop = async () => {
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  };
  try {
    await Promise.all(children.map(({ name, port, child }) => waitReady(name, port, child)));
  } catch (error) {
    await stop();
    throw error;
  }
  // What the black-box contract suite (tests/contract) knows of this stack: its addresses and first admin.
  const subgraphs = services.filter(({ name }) => name !== 'gateway');
  project.provide('contractStack', {
    gatewayUrl: GATEWAY,
    subgraphUrls: Object.fromEntries(subgraphs.map(({ name, port }) => [name, `http://127.0.0.1:${port}/graphql`])),
    admin: ADMIN,
  });
  return stop;
}
