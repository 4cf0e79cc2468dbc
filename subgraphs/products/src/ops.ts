// Operator commands, run where the service runs and with its configuration:
//   node dist/ops.js dlq list | show <queue> [limit] | replay <queue> [messageId…]
// (`docker compose exec products node dist/ops.js …`, `kubectl exec deploy/<fullname>-products -- node dist/ops.js …`)
import { loadConfig } from '@shop/platform/core';
import { deadLetterCommand, runOperatorCommand } from '@shop/platform/ops';
import { productsConfig } from './config.js';
import { PAYMENTS_QUEUE } from './events.js';

const config = loadConfig(productsConfig);
process.exitCode = await runOperatorCommand(
  'node dist/ops.js',
  { dlq: deadLetterCommand(config.AMQP_URL, [PAYMENTS_QUEUE]) },
  process.argv.slice(2),
);
