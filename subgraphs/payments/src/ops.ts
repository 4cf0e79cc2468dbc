// Operator commands, run where the service runs and with its configuration:
//   node dist/ops.js dlq list | show <queue> [limit] | replay <queue> [messageId…]
//   node dist/ops.js reconcile              (one reconciliation pass by hand)
//   node dist/ops.js outbox-backfill        (once, after upgrading from a release without the outbox flag)
// (`docker compose exec payments node dist/ops.js …`, `kubectl exec deploy/<fullname>-payments -- node dist/ops.js …`)
import { loadConfig } from '@shop/platform/core';
import { outboxBackfillCommand } from '@shop/platform/mongo';
import { deadLetterCommand, runOperatorCommand } from '@shop/platform/ops';
import { paymentsConfig } from './config.js';
import { ORDERS_QUEUE } from './events.js';
import { reconcileCommand } from './payment/payment-reconcile.command.js';

const config = loadConfig(paymentsConfig);
process.exitCode = await runOperatorCommand(
  'node dist/ops.js',
  {
    dlq: deadLetterCommand(config.AMQP_URL, [ORDERS_QUEUE]),
    reconcile: reconcileCommand(config),
    'outbox-backfill': outboxBackfillCommand(config, 'payments', 'payments'),
  },
  process.argv.slice(2),
);
