// Operator commands, run where the service runs and with its configuration:
//   node dist/ops.js dlq list | show <queue> [limit] | replay <queue> [messageId…]
// (`docker compose exec notifications node dist/ops.js …`, `kubectl exec deploy/<fullname>-notifications -- node dist/ops.js …`)
import { loadConfig } from '@shop/platform/core';
import { deadLetterCommand, runOperatorCommand } from '@shop/platform/ops';
import { notificationsConfig } from './config.js';
import { NOTIFICATIONS_QUEUES } from './events.js';

const config = loadConfig(notificationsConfig);
process.exitCode = await runOperatorCommand(
  'node dist/ops.js',
  { dlq: deadLetterCommand(config.AMQP_URL, Object.values(NOTIFICATIONS_QUEUES)) },
  process.argv.slice(2),
);
