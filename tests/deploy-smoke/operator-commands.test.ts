// What only a deployment shows: each service's operator commands run in its own container, with
// that container's configuration and credentials (its own RabbitMQ user; in the smoke, FerretDB
// has no per-service MongoDB users), as an operator runs them:
// `docker compose exec <service> node dist/ops.js …` (docs/operations.md).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const project = process.env.DEPLOY_SMOKE_PROJECT ?? 'shop-smoke';

const ops = async (service: string, ...args: string[]): Promise<string[]> => {
  const { stdout } = await run('podman', ['exec', `${project}_${service}_1`, 'node', 'dist/ops.js', ...args]);
  return stdout.trimEnd().split('\n');
};

it("lists each consumer's dead-letter queues as that service's broker user", async () => {
  const consumers: Record<string, string[]> = {
    products: ['products.payments'],
    orders: ['orders.payments', 'orders.accounts'],
    payments: ['payments.orders'],
    notifications: ['notifications.events', 'notifications.email-sender', 'notifications.sms-sender'],
  };
  for (const [service, queues] of Object.entries(consumers)) {
    const listed = await ops(service, 'dlq', 'list');
    expect({ service, listed }).toEqual({
      service,
      listed: queues.map((queue) => expect.stringMatching(new RegExp(`^ +0  ${queue}\\.dlq$`))),
    });
  }
});

it("runs a payment reconciliation pass, and the outbox backfill of orders and payments, each in its service's database", async () => {
  expect((await ops('payments', 'reconcile')).at(-1)).toMatch(
    /^reconciled \d+ payment\(s\) pending longer than \d+ ms; 0 left for the next pass$/,
  );
  for (const service of ['orders', 'payments']) {
    expect(await ops(service, 'outbox-backfill')).toEqual([`shop_${service}.${service}: 0 documents flagged`]);
  }
});
