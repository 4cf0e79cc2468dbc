// `pnpm events:dlq`: the dead-letter queues of the event consumers.
//   pnpm events:dlq list [queue…]            parked messages per consumer queue
//   pnpm events:dlq show <queue> [limit]     the parked messages, with reason, error and tries
//   pnpm events:dlq replay <queue> [id…]     back to the consumer with a fresh retry budget (all, or those ids)
// <queue> is a consumer (`orders.payments`, whose work queue is `orders.payments.v2`) or its dead-letter queue
// (`orders.payments.dlq`). A replay goes through the consumer's exchange `orders.payments.moves`.
// AMQP_URL picks the broker and vhost (default amqp://guest:guest@127.0.0.1:5672).
import { deadLetterCommand, runCommand } from '@shop/platform/ops';
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
process.exitCode = await runCommand(deadLetterCommand(url, CONSUMER_QUEUES), 'pnpm events:dlq', process.argv.slice(2));
