// Test what ships: the production bundles (`pnpm build`), each laid out as its image lays it out
// (only the files and links scripts/image-files.ts picks from the workspace's install, plus the
// supergraph; see the Dockerfile), started with `node dist/main.js` and NODE_ENV=production
// against the test services. Each must be ready within its image's health-check budget, serve what
// it reads from disk, then stop cleanly on SIGTERM.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { eventually, freePort } from '@shop/platform/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postJson } from '../../gateway/src/gateway.test-fixture.js';
import { layOutImages } from '../../scripts/image-files.js';
import {
  dropStackDatabases,
  STACK_PROCESSES,
  type StackPorts,
  serviceLaunch,
  stackAddressEnv,
} from '../../scripts/stack.js';
import {
  startTestSmtpServer,
  type TestSmtpServer,
} from '../../subgraphs/notifications/src/delivery/smtp.test-server.js';
import { stackEnv } from '../e2e/stack.js';
import { ROOT, readiness, ServiceProcess } from './private-services.js';

const run = promisify(execFile);
/** The Dockerfile's HEALTHCHECK: a 20 s start period, then 5 retries 10 s apart. */
const HEALTH_BUDGET_MS = 70_000;

const imageDir = mkdtempSync(join(tmpdir(), 'shop-images-'));
const started: ServiceProcess[] = [];
const bundlesEnv = stackEnv(`bundles_${Date.now().toString(36)}`);
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  await run('pnpm', ['build'], { cwd: ROOT });
  await layOutImages(imageDir);
}, 600_000);

afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  await smtp?.close();
  await dropStackDatabases(bundlesEnv);
  rmSync(imageDir, { recursive: true, force: true });
});

it("holds the packages its bundle loads at the lockfile's versions", () => {
  const lockfile = readFileSync(resolve(ROOT, 'pnpm-lock.yaml'), 'utf8');
  const locked = lockfile.slice(lockfile.indexOf('\npackages:\n'), lockfile.indexOf('\nsnapshots:\n'));
  const held: string[] = [];
  for (const { name } of STACK_PROCESSES) {
    const store = join(imageDir, name, 'node_modules/.pnpm');
    if (!existsSync(store)) continue;
    // Each store folder holds its package as a folder, and links to what that package requires.
    for (const entry of readdirSync(store, { recursive: true, withFileTypes: true })) {
      if (entry.name !== 'package.json' || !/\/node_modules\/(@[^/]+\/)?[^/@]+$/.test(entry.parentPath)) continue;
      const manifest = JSON.parse(readFileSync(join(entry.parentPath, entry.name), 'utf8'));
      held.push(`${manifest.name}@${manifest.version}`);
    }
  }
  expect(held.filter((pkg) => pkg.startsWith('argon2@'))).toHaveLength(1);
  const notLocked = held.filter((pkg) => !locked.includes(`\n  ${pkg}:`) && !locked.includes(`\n  '${pkg}':`));
  expect(notLocked).toEqual([]);
});

it('starts every production bundle from its image layout, ready within the health check, and stops it cleanly', async () => {
  const ports = Object.fromEntries(
    await Promise.all(
      [...STACK_PROCESSES.map(({ name }) => name), 'gatewayMetrics'].map(async (name) => [name, await freePort()]),
    ),
  ) as StackPorts;
  const env = {
    ...bundlesEnv,
    NODE_ENV: 'production',
    // Production refuses to start without a real mail server.
    SMTP_URL: smtp.url,
    ...stackAddressEnv(ports),
  };
  for (const { name, dir } of STACK_PROCESSES) {
    const cwd = join(imageDir, name);
    const launch = { ...serviceLaunch(name, 'bundle'), cwd };
    started.push(
      new ServiceProcess(dir, { ...env, SUPERGRAPH_PATH: join(cwd, 'supergraph.graphql') }, 'bundle', launch),
    );
  }
  const startedAt = Date.now();
  await Promise.all(
    STACK_PROCESSES.map(({ name }) =>
      eventually(async () => (await readiness(ports[name])).status === 200, HEALTH_BUDGET_MS, `${name} bundle ready`),
    ),
  );
  console.info(`bundles: all six ready ${Date.now() - startedAt} ms after start`);
  await expectServed(`http://127.0.0.1:${ports.gateway}`);
  // The gateway first, then the subgraphs: each drains and exits 0.
  for (const service of [...started].reverse()) {
    await service.stop();
    expect({ dir: service.dir, exitCode: service.child.exitCode }).toEqual({ dir: service.dir, exitCode: 0 });
  }
}, 180_000);

it("runs each service's operator commands from its image layout, with the service's configuration", async () => {
  // As `docker compose exec <service> node dist/ops.js …` runs them (docs/operations.md).
  const env = { ...process.env, ...bundlesEnv, NODE_ENV: 'production', SMTP_URL: smtp.url };
  const ops = async (name: string, ...args: string[]) =>
    (await run(process.execPath, ['dist/ops.js', ...args], { cwd: join(imageDir, name), env })).stdout;
  const queues: Record<string, string[]> = {
    products: ['products.payments'],
    orders: ['orders.payments', 'orders.accounts'],
    payments: ['payments.orders'],
    notifications: ['notifications.events', 'notifications.email-sender', 'notifications.sms-sender'],
  };
  for (const [name, consumers] of Object.entries(queues)) {
    const listed = (await ops(name, 'dlq', 'list')).trimEnd().split('\n');
    expect(listed.map((line) => line.replace(/^ *\d+ {2}/, ''))).toEqual(consumers.map((queue) => `${queue}.dlq`));
  }
  const reconciled = (await ops('payments', 'reconcile')).trimEnd().split('\n');
  expect(reconciled.at(-1)).toMatch(/^reconciled 0 payment\(s\) pending longer than \d+ ms; 0 left for the next pass$/);
  for (const name of ['orders', 'payments']) {
    expect(await ops(name, 'outbox-backfill')).toBe(
      `${bundlesEnv.MONGO_DB_PREFIX}_${name}.${name}: 0 documents flagged\n`,
    );
  }
  await expect(ops('users', 'dlq', 'list')).rejects.toThrow(/Cannot find module/);
}, 60_000);

/**
 * What a readiness check does not reach: a sign-up (argon2's native binding in users), a query
 * across users, orders, notifications and products (Prisma's client), and the files the gateway
 * reads from disk.
 */
async function expectServed(gateway: string): Promise<void> {
  const post = (query: string, variables: Record<string, unknown>, token?: string) =>
    postJson(`${gateway}/graphql`, { query, variables }, token ? { authorization: `Bearer ${token}` } : {});
  const registered = await post('mutation ($input: RegisterInput!) { register(input: $input) { token } }', {
    input: { email: `bundle-${Date.now()}@shop.test`, password: 'bundle password', firstName: 'B', lastName: 'Undle' },
  });
  expect(registered.body.errors).toBeUndefined();
  const token = registered.body.data?.register?.token;
  expect(token).toEqual(expect.any(String));
  const read = await post(
    '{ me { email orders { totalCount } } notifications { totalCount } products(first: 1) { totalCount } }',
    {},
    token,
  );
  expect(read.body.errors).toBeUndefined();
  expect(read.body.data?.me?.orders.totalCount).toBe(0);
  expect(read.body.data?.products?.totalCount).toBeGreaterThanOrEqual(0);
  for (const path of ['/tracker', '/tracker/vendor/graphql-ws/client.js', '/api/docs/assets/swagger-ui-bundle.js']) {
    const response = await fetch(`${gateway}${path}`);
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
  }
}
