// `pnpm outbox:backfill`: the services' `outbox-backfill` command (@shop/platform/mongo) for both
// outboxes at once, from a checkout: once, after upgrading from a release whose outboxes had no
// `outboxPending` flag. MONGO_URL and MONGO_DB_PREFIX as the services have them. In a deployment,
// each service runs its own (`node dist/ops.js outbox-backfill`, docs/operations.md).
import { outboxBackfillCommand } from '@shop/platform/mongo';
import { runCommand } from '@shop/platform/ops';

const settings = {
  MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  MONGO_DB_PREFIX: process.env.MONGO_DB_PREFIX ?? 'shop',
};
for (const service of ['orders', 'payments']) {
  const code = await runCommand(outboxBackfillCommand(settings, service, service), 'pnpm outbox:backfill', []);
  if (code !== 0) process.exitCode = code;
}
