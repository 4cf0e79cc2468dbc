// Orders and payments through the gateway: prices captured at order time, the whole life cycle,
// idempotent payments under retries and races, cancel racing payment, per-customer access, and
// unpaid orders expired by a second orders replica running with a short ORDER_PAYMENT_TIMEOUT.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@shop/platform/testing';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADDRESS,
  type Customer,
  createProduct,
  GATEWAY,
  graphql,
  graphqlOk,
  inventoryOf,
  PORTS,
  registerCustomer,
  restAnswer,
  signInAdmin,
  stackEnv,
} from './stack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ORDER_FIELDS =
  'id status paymentStatus totalAmount items { quantity price product { id } } payment { id status }';
const PAY = `mutation($input: ProcessPaymentInput!) {
  processPaymentAttempt(input: $input) { replayed payment { id status amount failureReason order { id } } }
}`;

interface Order {
  id: string;
  status: string;
  paymentStatus: string;
  totalAmount: string;
  items: { quantity: number; price: string; product: { id: string } }[];
  payment: { id: string; status: string } | null;
}
interface Attempt {
  replayed: boolean;
  payment: { id: string; status: string; amount: string; failureReason: string | null; order: { id: string } };
}

let adminToken: string;
let ada: Customer;
let bob: Customer;
let mongo: MongoClient;

/** A product of this suite's category, with the given price and stock. */
const widget = (price: string, inventory: number): Promise<string> =>
  createProduct(adminToken, {
    name: `Widget ${Math.random().toString(36).slice(2, 8)}`,
    description: 'For the orders and payments suite',
    price,
    category: 'e2e-orders',
    inventory,
  });

async function placeOrder(customer: Customer, productId: string, quantity: number): Promise<Order> {
  const data = await graphqlOk<{ createOrder: Order }>(
    `mutation($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`,
    { input: { items: [{ productId, quantity }], shippingAddress: ADDRESS } },
    customer.token,
  );
  return data.createOrder;
}

const readOrder = async (token: string, id: string) =>
  (await graphqlOk<{ order: Order }>(`query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id }, token)).order;

const pay = (customer: Customer, orderId: string, idempotencyKey: string, paymentMethod = 'card') =>
  graphql<{ processPaymentAttempt: Attempt }>(
    PAY,
    { input: { orderId, paymentMethod, idempotencyKey } },
    customer.token,
  );

const setStatus = (token: string, id: string, status: string) =>
  graphql<{ updateOrderStatus: { status: string } }>(
    'mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status } }',
    { id, status },
    token,
  );

const codeOf = (result: { errors?: { extensions?: { code?: string } }[] }) => result.errors?.[0]?.extensions?.code;

/** The running stack's database of `service` (its MONGO_DB_PREFIX is chosen at start-up): the one holding `orderId`. */
async function stackDb(service: 'orders' | 'payments', orderId: string): Promise<Db> {
  const { databases } = await mongo.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name } of databases.filter((d) => /^e2e_[a-z0-9]+_orders$/.test(d.name))) {
    if (
      await mongo
        .db(name)
        .collection('orders')
        .countDocuments({ _id: orderId as never })
    ) {
      return mongo.db(name.replace(/_orders$/, `_${service}`));
    }
  }
  throw new Error(`no e2e orders database holds order ${orderId}`);
}

beforeAll(async () => {
  adminToken = await signInAdmin();
  [ada, bob] = await Promise.all([registerCustomer('ada'), registerCustomer('bob')]);
  mongo = await MongoClient.connect(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
});
afterAll(() => mongo?.close());

describe('orders and payments through the gateway', () => {
  it('captures prices at order time, pays once and walks the life cycle, refusing every illegal step', async () => {
    const productId = await widget('12.50', 20);
    const order = await placeOrder(ada, productId, 2);
    expect(order).toMatchObject({ status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '25.00', payment: null });
    expect(await inventoryOf(productId)).toBe(18);
    await graphqlOk(
      'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }',
      { id: productId, input: { price: '99.00' } },
      adminToken,
    );
    expect((await readOrder(ada.token, order.id)).items).toEqual([
      { quantity: 2, price: '12.50', product: { id: productId } },
    ]);

    expect(codeOf(await setStatus(ada.token, order.id, 'SHIPPED'))).toBe('FORBIDDEN'); // an admin's move
    for (const [token, status] of [
      [adminToken, 'PAID'],
      [adminToken, 'DELIVERED'],
      [adminToken, 'PENDING'],
    ] as const) {
      const refused = await setStatus(token, order.id, status);
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        currentStatus: 'PENDING',
        requestedStatus: status,
      });
    }

    const paid = await pay(ada, order.id, `life-${order.id}`);
    expect(paid.data?.processPaymentAttempt).toMatchObject({
      replayed: false,
      payment: { status: 'SUCCEEDED', amount: '25.00', order: { id: order.id } },
    });
    await eventually(async () => ((await readOrder(ada.token, order.id)).status === 'PAID' ? true : undefined));
    expect(await readOrder(ada.token, order.id)).toMatchObject({
      paymentStatus: 'SUCCEEDED',
      payment: { id: paid.data?.processPaymentAttempt.payment.id, status: 'SUCCEEDED' },
    });

    expect(codeOf(await setStatus(ada.token, order.id, 'CANCELLED'))).toBe('CONFLICT');
    expect(codeOf(await setStatus(ada.token, order.id, 'SHIPPED'))).toBe('FORBIDDEN');
    expect((await setStatus(adminToken, order.id, 'SHIPPED')).data?.updateOrderStatus.status).toBe('SHIPPED');
    expect(codeOf(await setStatus(adminToken, order.id, 'PAID'))).toBe('CONFLICT');
    expect((await setStatus(adminToken, order.id, 'DELIVERED')).data?.updateOrderStatus.status).toBe('DELIVERED');
    for (const status of ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED']) {
      expect(codeOf(await setStatus(adminToken, order.id, status))).toBe('CONFLICT');
    }
    expect(await inventoryOf(productId)).toBe(18);

    const listed = await graphqlOk<{
      orders: { edges: { node: { id: string; user: { email: string }; payment: { status: string } | null } }[] };
    }>('{ orders(first: 50) { edges { node { id user { email } payment { status } } } } }', {}, ada.token);
    expect(listed.orders.edges.map((edge) => edge.node)).toContainEqual({
      id: order.id,
      user: { email: ada.email },
      payment: { status: 'SUCCEEDED' },
    });
  });

  it('answers 20 retries of one key with one payment, refuses the key with another body, and a second key once paid', async () => {
    const productId = await widget('7.25', 10);
    const order = await placeOrder(ada, productId, 1);
    const key = `retry-${order.id}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => pay(ada, order.id, key)));
    const attempts = results.map((result) => {
      expect(result.errors).toBeUndefined();
      return result.data?.processPaymentAttempt as Attempt;
    });
    expect(new Set(attempts.map((a) => a.payment.id)).size).toBe(1);
    expect(attempts.filter((a) => !a.replayed)).toHaveLength(1);
    expect(attempts.every((a) => a.payment.status === 'SUCCEEDED' && a.payment.amount === '7.25')).toBe(true);

    const payments = (await stackDb('payments', order.id)).collection('payments');
    expect(await payments.countDocuments({ orderId: order.id })).toBe(1);

    expect(codeOf(await pay(ada, order.id, key, 'paypal'))).toBe('CONFLICT');
    await eventually(async () => ((await readOrder(ada.token, order.id)).status === 'PAID' ? true : undefined));
    expect(codeOf(await pay(ada, order.id, `${key}-second`, 'paypal'))).toBe('CONFLICT');
    expect((await pay(ada, order.id, key)).data?.processPaymentAttempt).toMatchObject({
      replayed: true,
      payment: { id: attempts[0]?.payment.id },
    });
    expect(await payments.countDocuments({ orderId: order.id })).toBe(1);
  });

  it('lets two different keys racing for one order charge once; a declined payment may be retried', async () => {
    const productId = await widget('3.00', 10);
    const order = await placeOrder(ada, productId, 1);
    const declined = await pay(ada, order.id, `declined-${order.id}`, 'card_declined');
    expect(declined.data?.processPaymentAttempt.payment).toMatchObject({
      status: 'FAILED',
      failureReason: 'card_declined',
    });
    await eventually(async () =>
      (await readOrder(ada.token, order.id)).paymentStatus === 'FAILED' ? true : undefined,
    );

    const [one, two] = await Promise.all([
      pay(ada, order.id, `a-${order.id}`, 'card'),
      pay(ada, order.id, `b-${order.id}`, 'paypal'),
    ]);
    const outcomes = [one, two].map((result) => result.data?.processPaymentAttempt.payment.status ?? codeOf(result));
    expect(outcomes.sort()).toEqual(['CONFLICT', 'SUCCEEDED']);
    const payments = (await stackDb('payments', order.id)).collection('payments');
    expect(await payments.countDocuments({ orderId: order.id, status: 'SUCCEEDED' })).toBe(1);
    await eventually(async () => ((await readOrder(ada.token, order.id)).status === 'PAID' ? true : undefined));
  });

  it('refuses payment after the order failed PAYMENT_FAILURES_PER_ORDER times (5), on GraphQL and REST; the owner may still cancel it', async () => {
    const productId = await widget('4.00', 10);
    const order = await placeOrder(ada, productId, 2);
    for (let n = 1; n <= 5; n++) {
      const declined = await pay(ada, order.id, `decline-${n}-${order.id}`, 'card_declined');
      expect(declined.data?.processPaymentAttempt.payment.status).toBe('FAILED');
    }
    const sixth = await pay(ada, order.id, `sixth-${order.id}`, 'card');
    expect(sixth.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'PAYMENT_FAILURES_LIMIT',
      limit: 5,
    });
    const rest = await restAnswer('POST', '/payments', { orderId: order.id, paymentMethod: 'card' }, ada.token, {
      'idempotency-key': `rest-sixth-${order.id}`,
    });
    expect(rest).toMatchObject({ status: 409, body: { reason: 'PAYMENT_FAILURES_LIMIT', limit: 5 } });
    const payments = (await stackDb('payments', order.id)).collection('payments');
    expect(await payments.countDocuments({ orderId: order.id })).toBe(5);

    expect((await setStatus(ada.token, order.id, 'CANCELLED')).data?.updateOrderStatus.status).toBe('CANCELLED');
    await eventually(async () => ((await inventoryOf(productId)) === 10 ? true : undefined));
  });

  it("keeps a customer out of another's order and payment with NOT_FOUND, exactly as for unknown ids", async () => {
    const productId = await widget('5.00', 10);
    const order = await placeOrder(ada, productId, 1);
    const paid = await pay(ada, order.id, `own-${order.id}`);
    const paymentId = paid.data?.processPaymentAttempt.payment.id;

    const unknownId = '0123456789abcdef01234567';
    for (const [query, id] of [
      ['query($id: ID!) { order(id: $id) { id } }', order.id],
      ['query($id: ID!) { payment(id: $id) { id } }', paymentId],
    ] as const) {
      const foreign = await graphql(query, { id }, bob.token);
      const unknown = await graphql(query, { id: unknownId }, bob.token);
      expect(codeOf(foreign)).toBe('NOT_FOUND');
      expect(JSON.stringify(foreign).replaceAll(String(id), '<id>')).toBe(
        JSON.stringify(unknown).replaceAll(unknownId, '<id>'),
      );
    }
    expect(codeOf(await pay(bob, order.id, `bob-${order.id}`))).toBe('NOT_FOUND');
    expect(codeOf(await setStatus(bob.token, order.id, 'CANCELLED'))).toBe('NOT_FOUND');
    const bobs = await graphqlOk<{ orders: { edges: { node: { id: string } }[] } }>(
      '{ orders(first: 100) { edges { node { id } } } }',
      {},
      bob.token,
    );
    expect(bobs.orders.edges).toEqual([]);

    const problem = await fetch(`${GATEWAY}/api/orders/${order.id}`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    expect(problem.status).toBe(404);
    expect(problem.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('settles cancel racing payment one way: PAID and the cancel refused, or CANCELLED with stock back and no money kept', async () => {
    const productId = await widget('4.00', 20);
    let kept = 0;
    for (let round = 0; round < 6; round++) {
      const order = await placeOrder(ada, productId, 1);
      const [cancel, payment] = await Promise.all([
        setStatus(ada.token, order.id, 'CANCELLED'),
        pay(ada, order.id, `race-${order.id}`),
      ]);
      const charged = payment.data?.processPaymentAttempt.payment.status === 'SUCCEEDED';
      if (!charged) expect(codeOf(payment)).toBe('CONFLICT');
      const settled = await eventually(async () => {
        const current = await readOrder(ada.token, order.id);
        if (current.status === 'PAID') return current;
        if (current.status !== 'CANCELLED') return undefined;
        // A charge that slipped past the cancellation is refunded.
        return !charged || (current.paymentStatus === 'REFUNDED' && current.payment?.status === 'REFUNDED')
          ? current
          : undefined;
      });
      if (settled.status === 'PAID') {
        kept++;
        expect(codeOf(cancel)).toBe('CONFLICT');
        expect(settled).toMatchObject({ paymentStatus: 'SUCCEEDED', payment: { status: 'SUCCEEDED' } });
      } else {
        expect(cancel.data?.updateOrderStatus.status).toBe('CANCELLED');
      }
    }
    await eventually(async () => ((await inventoryOf(productId)) === 20 - kept ? true : undefined));
  });

  it('answers the REST shims: 201 created, the stored payment on a replay, 409 problems', async () => {
    const productId = await widget('2.50', 10);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${ada.token}` };
    const created = await fetch(`${GATEWAY}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ items: [{ productId, quantity: 2 }], shippingAddress: ADDRESS }),
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: string; totalAmount: number; status: string };
    expect(order).toMatchObject({ status: 'PENDING', totalAmount: 5 });

    const body = JSON.stringify({ orderId: order.id, paymentMethod: 'card' });
    const payHeaders = { ...headers, 'idempotency-key': `rest-${order.id}` };
    const first = await fetch(`${GATEWAY}/api/payments`, { method: 'POST', headers: payHeaders, body });
    expect(first.status).toBe(201);
    const payment = (await first.json()) as { id: string; amount: number; status: string };
    expect(payment).toMatchObject({ amount: 5, status: 'SUCCEEDED' });
    const replay = await fetch(`${GATEWAY}/api/payments`, { method: 'POST', headers: payHeaders, body });
    expect(replay.ok).toBe(true);
    expect(((await replay.json()) as { id: string }).id).toBe(payment.id);
    const reused = await fetch(`${GATEWAY}/api/payments`, {
      method: 'POST',
      headers: payHeaders,
      body: JSON.stringify({ orderId: order.id, paymentMethod: 'paypal' }),
    });
    expect(reused.status).toBe(409);
    expect(reused.headers.get('content-type')).toMatch(/application\/problem\+json/);

    await eventually(async () => ((await readOrder(ada.token, order.id)).status === 'PAID' ? true : undefined));
    const cancel = await fetch(`${GATEWAY}/api/orders/${order.id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ status: 'CANCELLED' }),
    });
    expect(cancel.status).toBe(409);
    const read = await fetch(`${GATEWAY}/api/payments/${payment.id}`, { headers });
    expect(read.status).toBe(200);
  });
});

describe('unpaid orders expire (ORDER_PAYMENT_TIMEOUT)', () => {
  let replica: ChildProcess | undefined;
  afterAll(async () => {
    if (!replica || replica.exitCode !== null) return;
    const exited = new Promise((done) => replica?.once('exit', done));
    replica.kill('SIGTERM');
    await exited;
  });

  it('a second orders replica with a 1 s timeout cancels an unpaid order and its stock comes back', async () => {
    const productId = await widget('9.00', 5);
    const order = await placeOrder(ada, productId, 3);
    expect(await inventoryOf(productId)).toBe(2);

    const db = await stackDb('orders', order.id);
    const runId = db.databaseName.replace(/^e2e_/, '').replace(/_orders$/, '');
    const log = createWriteStream(resolve(root, `.infra/logs/e2e-${PORTS.gateway}-orders-expiry-replica.log`));
    replica = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], {
      cwd: resolve(root, 'subgraphs/orders'),
      env: {
        ...process.env,
        ...stackEnv(runId),
        // A spare port next to the stack's own.
        ORDERS_PORT: String(PORTS.orders + 10),
        ORDER_PAYMENT_TIMEOUT: '1s',
        ORDER_PAYMENT_GRACE: '0s',
        ORDER_EXPIRY_INTERVAL: '1s',
        TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    replica.stdout?.pipe(log);
    replica.stderr?.pipe(log);

    const expired = await eventually(async () => {
      const current = await readOrder(ada.token, order.id);
      return current.status === 'CANCELLED' ? current : undefined;
    }, 45_000);
    expect(expired.paymentStatus).toBe('PENDING');
    await eventually(async () => ((await inventoryOf(productId)) === 5 ? true : undefined));
    expect(codeOf(await pay(ada, order.id, `late-${order.id}`))).toBe('CONFLICT');
    const transitions = await db.collection('order_transitions').find({ orderId: order.id }).toArray();
    expect(transitions.map((t) => `${t.from.status}→${t.to.status}`)).toEqual(['PENDING→CANCELLED']);
  }, 90_000);
});
