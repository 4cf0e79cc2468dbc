// The write path's cost: every MongoDB command the five subgraph processes send for one order
// placed and paid, read from each process's own count (mongodb_commands_total, origin=request).
// Scheduled passes (the outbox sweep, expiry, reconciliation) are counted apart as `periodic`:
// they cost per second, not per order. The metrics scrapes' own reads are counted as `scrape`.

import { eventually, metricValue } from '@shop/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProduct, graphqlOk, PORTS, registerCustomer, signInAdmin } from './stack.js';

/**
 * Commands per placed-and-paid order (a returning customer's): issue #15 part 3 asks for at most 15.
 * The stack runs one orders process, so payment.succeeded is decided from the state that process
 * wrote at create (OrderTransitionWriter.move): a replica that has not seen the order reads it first (16).
 */
const MAX_COMMANDS_PER_ORDER = 15;
/**
 * A new customer's first order also pays three per-user reads in users that the customer's later
 * orders find cached in each process: the revocation check of the customer's token by orders (the
 * token payments forwards to read the order) and by products (the token orders forwards to reserve
 * stock), each cached TOKEN_VERSION_CACHE_MS, and the customer's addresses (notifications, 30 s).
 */
const MAX_COMMANDS_FIRST_ORDER = MAX_COMMANDS_PER_ORDER + 3;

const PROCESSES = ['users', 'orders', 'payments', 'notifications'] as const;
type Process = (typeof PROCESSES)[number];

const scrape = async (process: Process) => (await fetch(`http://127.0.0.1:${PORTS[process]}/metrics`)).text();

type Scrapes = Record<Process, string>;

async function scrapeAll(): Promise<Scrapes> {
  const texts = await Promise.all(PROCESSES.map(scrape));
  return Object.fromEntries(PROCESSES.map((process, i) => [process, texts[i]])) as Scrapes;
}

/** `command collection` → count, of one process's request-path commands. */
function requestCommands(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^mongodb_commands_total\{(.*)\} (\S+)$/.exec(line);
    if (!match?.[1]?.includes('origin="request"')) continue;
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(match[1] ?? '')?.[1] ?? '';
    counts.set(`${label('command')} ${label('collection')}`, Number(match[2]));
  }
  return counts;
}

/** What one order's life consumes, by process: queue and event type. */
const CONSUMED_PER_ORDER: { process: Process; queue: string; type: string; count: number }[] = [
  { process: 'orders', queue: 'orders.payments', type: 'payment.succeeded', count: 1 },
  { process: 'payments', queue: 'payments.orders', type: 'order.updated', count: 1 },
  { process: 'notifications', queue: 'notifications.events', type: 'order.created', count: 1 },
  { process: 'notifications', queue: 'notifications.events', type: 'order.updated', count: 1 },
  { process: 'notifications', queue: 'notifications.events', type: 'payment.succeeded', count: 1 },
  { process: 'notifications', queue: 'notifications.email-sender', type: 'notification.email', count: 2 },
];

/** The address confirmation email each registration sends (users' outbox). */
const CONFIRMATION_EMAILS = {
  process: 'notifications',
  queue: 'notifications.email-sender',
  type: 'notification.email',
} as const;

const consumed = (scrapes: Scrapes, { process, queue, type }: { process: Process; queue: string; type: string }) =>
  metricValue(scrapes[process], 'events_consumed_total', { queue, type });

/**
 * The sentinel that an order's life is over: every consumer has handled its events, and no outbox
 * holds an event (the last write of the path is a publish's removal from its outbox), users' included.
 */
async function settledAfter(before: Scrapes): Promise<Scrapes> {
  return eventually(async () => {
    const now = await scrapeAll();
    const consumedAll = CONSUMED_PER_ORDER.every(
      (entry) => consumed(now, entry) >= consumed(before, entry) + entry.count,
    );
    const backlog = PROCESSES.reduce((sum, process) => sum + metricValue(now[process], 'outbox_pending_events'), 0);
    return consumedAll && backlog === 0 ? now : undefined;
  }, 30_000);
}

let productId: string;

/** A new customer (no phone: the payment receipt's SMS is recorded as skipped, the two emails are delivered). */
const register = async () => (await registerCustomer('write-path')).token;

async function placeAndPay(token: string): Promise<string> {
  const { createOrder } = await graphqlOk<{ createOrder: { id: string } }>(
    'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
    {
      input: {
        items: [{ productId, quantity: 1 }],
        shippingAddress: { street: '1 Main St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' },
      },
    },
    token,
  );
  const { processPayment } = await graphqlOk<{ processPayment: { status: string } }>(
    'mutation($input: ProcessPaymentInput!) { processPayment(input: $input) { status } }',
    { input: { orderId: createOrder.id, paymentMethod: 'card', idempotencyKey: `pay-${createOrder.id}` } },
    token,
  );
  expect(processPayment.status).toBe('SUCCEEDED');
  return createOrder.id;
}

beforeAll(async () => {
  productId = await createProduct(await signInAdmin(), {
    name: 'Write path widget',
    description: 'Counted',
    price: '5.00',
    category: `write-path-${Date.now()}`,
    inventory: 10,
  });
});

/** Commands sent between two scrapes, summed and broken down by process, command and collection. */
function commandsBetween(before: Scrapes, after: Scrapes): { total: number; breakdown: string } {
  const lines: string[] = [];
  let total = 0;
  for (const process of PROCESSES) {
    const was = requestCommands(before[process]);
    for (const [key, count] of requestCommands(after[process])) {
      const sent = count - (was.get(key) ?? 0);
      if (sent === 0) continue;
      total += sent;
      lines.push(`${process.padEnd(14)} ${key.padEnd(44)} ${sent}`);
    }
  }
  return { total, breakdown: lines.join('\n') };
}

describe('the write path of one order', () => {
  it(`costs at most ${MAX_COMMANDS_PER_ORDER} MongoDB commands across all services, placed to paid and both emails sent (${MAX_COMMANDS_FIRST_ORDER} for a new customer's first)`, async () => {
    // A first order warms every path (connections, lazily created collections) and is not counted.
    const registered = await scrapeAll();
    const [warmToken, token] = await Promise.all([register(), register()]);
    // Each registration emails its address confirmation link: delivered before anything is counted,
    // or its delivery lands in an order's count and stands in for one of that order's emails (ci140).
    const warm = await eventually(async () => {
      const now = await scrapeAll();
      return consumed(now, CONFIRMATION_EMAILS) >= consumed(registered, CONFIRMATION_EMAILS) + 2 ? now : undefined;
    }, 30_000);
    await placeAndPay(warmToken);
    const before = await settledAfter(warm);

    // A new customer's first order, then the same customer's next one.
    const firstId = await placeAndPay(token);
    const afterFirst = await settledAfter(before);
    const nextId = await placeAndPay(token);
    const afterNext = await settledAfter(afterFirst);

    for (const id of [firstId, nextId]) {
      const { order } = await graphqlOk<{ order: { status: string } }>(
        'query($id: ID!) { order(id: $id) { status } }',
        { id },
        token,
      );
      expect(order.status).toBe('PAID');
    }
    const first = commandsBetween(before, afterFirst);
    const next = commandsBetween(afterFirst, afterNext);
    console.log(
      `MongoDB commands for a new customer's first placed-and-paid order: ${first.total}\n${first.breakdown}\n\n` +
        `MongoDB commands for that customer's next order: ${next.total}\n${next.breakdown}`,
    );
    expect(next.total).toBeGreaterThan(0);
    expect(next.total).toBeLessThanOrEqual(MAX_COMMANDS_PER_ORDER);
    expect(first.total).toBeLessThanOrEqual(MAX_COMMANDS_FIRST_ORDER);
  });
});
