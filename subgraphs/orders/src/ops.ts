// Operator commands, run where the service runs and with its configuration:
//   node dist/ops.js dlq list | show <queue> [limit] | replay <queue> [messageId…]
//   node dist/ops.js outbox-backfill        (once, after upgrading from a release without the outbox flag)
// (`docker compose exec orders node dist/ops.js …`, `kubectl exec deploy/<fullname>-orders -- node dist/ops.js …`)
import { loadConfig } from '@shop/platform/core';
import { outboxBackfillCommand } from '@shop/platform/mongo';
import { deadLetterCommand, runOperatorCommand } from '@shop/platform/ops';
import { ordersConfig } from './config.js';
import { ORDERS_QUEUES } from './events.js';

const config = loadConfig(ordersConfig);
process.exitCode = await runOperatorCommand(
  'node dist/ops.js',
  {
    dlq: deadLetterCommand(config.AMQP_URL, Object.values(ORDERS_QUEUES)),
    'outbox-backfill': outboxBackfillCommand(config, 'orders', 'orders'),
  },
  process.argv.slice(2),
);
