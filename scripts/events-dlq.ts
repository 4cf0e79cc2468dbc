// `pnpm events:dlq`: the dead-letter queues of the event consumers.
//   pnpm events:dlq list [queue…]            parked messages per consumer queue
//   pnpm events:dlq show <queue> [limit]     the parked messages, with reason, error and tries
//   pnpm events:dlq replay <queue> [id…]     back to the consumer with a fresh retry budget (all, or those ids)
// <queue> is a consumer (`orders.payments`, whose work queue is `orders.payments.v2`) or its dead-letter queue
// (`orders.payments.dlq`). A replay goes through the consumer's exchange `orders.payments.moves`.
// AMQP_URL picks the broker and vhost (default amqp://guest:guest@127.0.0.1:5672).
import { countDeadLetters, inspectDeadLetters, replayDeadLetters } from '@shop/events';
import { NOTIFICATIONS_QUEUES } from '../subgraphs/notifications/src/events.js';
import { ORDERS_QUEUES } from '../subgraphs/orders/src/events.js';
import { ORDERS_QUEUE as PAYMENTS_ORDERS } from '../subgraphs/payments/src/events.js';
import { PAYMENTS_QUEUE as PRODUCTS_PAYMENTS } from '../subgraphs/products/src/events.js';

/** Every durable consumer queue of the shop, as each subgraph names it; the gateway's fan-out queues have no dead letters. */
const CONSUMER_QUEUES = [
  ...Object.values(NOTIFICATIONS_QUEUES),
  ...Object.values(ORDERS_QUEUES),
  PAYMENTS_ORDERS,
  PRODUCTS_PAYMENTS,
];

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const [command, queue, ...rest] = process.argv.slice(2);

function usage(): never {
  process.stderr.write('usage: pnpm events:dlq list [queue…] | show <queue> [limit] | replay <queue> [messageId…]\n');
  process.exit(2);
}

switch (command) {
  case 'list': {
    const counts = await countDeadLetters(url, queue ? [queue, ...rest] : CONSUMER_QUEUES);
    for (const [name, count] of Object.entries(counts)) process.stdout.write(`${String(count).padStart(6)}  ${name}\n`);
    break;
  }
  case 'show': {
    if (!queue) usage();
    const parked = await inspectDeadLetters(url, queue, rest[0] ? Number(rest[0]) : 50);
    process.stdout.write(`${JSON.stringify(parked, null, 2)}\n`);
    break;
  }
  case 'replay': {
    if (!queue) usage();
    const replayed = await replayDeadLetters(url, queue, rest.length > 0 ? rest : undefined);
    process.stdout.write(`replayed ${replayed.length}: ${replayed.join(' ')}\n`);
    break;
  }
  default:
    usage();
}
