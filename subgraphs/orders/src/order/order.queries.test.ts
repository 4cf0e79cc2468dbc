import { paymentFailed, paymentSucceeded } from '@shop/events';
import { analyzeCollection, explainShapes, recordQueryShapes } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OrderModel } from './order.model.js';
import { address, admin, BOOK, customer, type OrdersFixture, startOrdersFixture } from './order.test-fixture.js';
import { OrderStatus, PaymentStatus } from './order.type.js';
import { OrderHourRegistry } from './order-hour.registry.js';

/** Every command the services send, as mongoose hands it to the driver. */
interface Sent {
  collection: string;
  method: string;
  filter: Record<string, unknown>;
  options: { projection?: Record<string, unknown>; sort?: Record<string, number> };
}

let fx: OrdersFixture;
let sent: Sent[] = [];
beforeAll(async () => {
  fx = await startOrdersFixture();
  // Mongoose builds each model's indexes in the background after connecting: let that finish, so
  // the recording holds only what the services send.
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    const [first, second, third] = args as Record<string, unknown>[];
    const filter = method === 'insertOne' ? {} : (first ?? {});
    const options = (method === 'findOneAndUpdate' || method === 'updateOne' ? third : second) ?? {};
    sent.push({ collection, method, filter, options });
  });
});
afterAll(async () => {
  mongoose.set('debug', false);
  await fx.close();
});
beforeEach(() => {
  sent = [];
});

const ada = customer('user-queries-ada');
const place = () =>
  fx.orders.create(fx.as(ada), { items: [{ productId: BOOK, quantity: 1 }], shippingAddress: address });
const calls = (collection: string) => sent.filter((command) => command.collection === collection);

interface PgPlanNode {
  'Node Type': string;
  'Index Cond'?: string;
  Plans?: PgPlanNode[];
}
interface MongoStage {
  stage: string;
  keyPattern?: Record<string, unknown>;
  inputStage?: MongoStage;
  inputStages?: MongoStage[];
}

/**
 * The fields of the indexes a plan reads (FerretDB: its GIN scans' conditions; MongoDB: each IXSCAN's
 * leading key), and whether it reads the whole collection: `explainShapes` tells served from scanned,
 * this tells which index serves.
 */
function indexReads(explained: Record<string, unknown>): { fields: string[]; scans: boolean } {
  const planner = explained.queryPlanner as {
    Plan?: PgPlanNode;
    winningPlan?: MongoStage & { queryPlan?: MongoStage };
  };
  const nodes: (PgPlanNode | MongoStage)[] = [];
  const walk = (node: PgPlanNode | MongoStage) => {
    nodes.push(node);
    const children = 'stage' in node ? [node.inputStage, ...(node.inputStages ?? [])] : (node.Plans ?? []);
    for (const child of children) if (child) walk(child);
  };
  // MongoDB's slot-based engine nests the plan one level down.
  walk(planner.Plan ?? planner.winningPlan?.queryPlan ?? (planner.winningPlan as MongoStage));
  const fields = nodes.flatMap((node) =>
    'stage' in node
      ? Object.keys(node.keyPattern ?? {}).slice(0, 1)
      : [...(node['Index Cond'] ?? '').matchAll(/_jsonb -> '([^']+)'/g)].map((match) => match[1] as string),
  );
  const scans = nodes.some((node) => ('stage' in node ? node.stage === 'COLLSCAN' : node['Node Type'] === 'Seq Scan'));
  return { fields, scans };
}

/** Excludes `pendingEvents`, or includes only named fields other than it. */
function withoutOutbox(projection: Record<string, unknown> = {}): boolean {
  if (projection.pendingEvents === 0) return true;
  const included = Object.entries(projection).filter(([, value]) => value === 1 || value === true);
  return included.length > 0 && !('pendingEvents' in projection);
}

describe('orders: queries per operation, projections and indexes', () => {
  it('places an order with one write and no read of its own database', async () => {
    await place();
    expect(calls('orders').map((command) => command.method)).toEqual(['insertOne']);
    expect(calls('order_transitions')).toEqual([]);
  });

  const paymentOf = (order: { id: string; totalAmount: string }, n: number) =>
    paymentSucceeded.create({
      paymentId: `payment-queries-${n}`,
      orderId: order.id,
      userId: ada.id,
      amount: order.totalAmount,
      transactionId: `txn-queries-${n}`,
    });

  it('moves an order on with one claim insert and one conditional update, deciding from the state it last wrote', async () => {
    const order = await place();
    sent = [];
    await fx.orders.recordPaymentSucceeded(paymentOf(order, 1));
    expect(sent.map(({ collection, method }) => `${collection}.${method}`)).toEqual([
      'order_transitions.insertOne',
      'orders.findOneAndUpdate',
    ]);
  });

  it('reads the order first on a replica that has not seen it', async () => {
    const order = await place();
    // A running replica has registered its hours at start (OrderHoursJob).
    const hours = new OrderHourRegistry();
    await hours.ensure();
    sent = [];
    await fx.replica(hours).recordPaymentSucceeded(paymentOf(order, 3));
    expect(sent.map(({ collection, method }) => `${collection}.${method}`)).toEqual([
      'orders.findOne',
      'order_transitions.insertOne',
      'orders.findOneAndUpdate',
    ]);
  });

  it('reads orders without their outbox, and every filter it sends is served by an index (explain)', async () => {
    const recorder = recordQueryShapes();
    const first = await place();
    const second = await place();
    await place();
    const page = await fx.orders.list(fx.as(ada), { first: 2 });
    await fx.orders.list(fx.as(ada), { first: 2, after: page.pageInfo.endCursor });
    await fx.orders.listForUser(fx.as(ada), ada.id, { first: 2 });
    await fx.orders.list(fx.as(admin), { first: 2, status: null });
    await fx.orders.list(fx.as(admin), { first: 2, status: OrderStatus.PENDING });
    await fx.orders.findById(fx.as(ada), first.id);
    const request = fx.as(admin); // two references in one request: one batch
    await Promise.all([fx.orders.findById(request, first.id), fx.orders.findById(request, second.id)]);
    await fx.orders.updateStatus(fx.as(ada), first.id, OrderStatus.CANCELLED);
    await fx.orders.recordPaymentFailed(
      paymentFailed.create({
        paymentId: 'payment-queries-2',
        orderId: second.id,
        userId: ada.id,
        amount: second.totalAmount,
        failureReason: 'declined',
      }),
    );
    await fx.orders.expiry.sweepUnpaid(fx.as(null), new Date(0));
    recorder.stop();

    const reads = calls('orders').filter((command) => command.method === 'find' || command.method === 'findOne');
    expect(reads.length).toBeGreaterThanOrEqual(8);
    for (const read of reads) expect(withoutOutbox(read.options.projection), JSON.stringify(read)).toBe(true);

    const report = await explainShapes(recorder.shapes());
    expect(report.scanned).toEqual([]);
    expect(report.served.length).toBeGreaterThanOrEqual(5);
    if (report.server === 'ferretdb-postgresql') {
      // FerretDB 1.x pushes down equality on top-level fields only, so a batch of several references
      // goes as one equality per id (findAnyOf), never as a `$in` that would read the whole collection.
      expect(report.notPushedDown).toEqual([]);
    }
  });

  it('finds the cancelled orders still holding stock through an index on their flag', async () => {
    // Every unpaid order ends cancelled and released, so these are nearly all of the cancelled ones.
    await OrderModel.insertMany(
      Array.from({ length: 1_000 }, (_, i) => ({
        _id: `order-queries-released-${i}`,
        userId: ada.id,
        items: [{ productId: BOOK, quantity: 1, priceCents: 1999 }],
        status: OrderStatus.CANCELLED,
        paymentStatus: PaymentStatus.PENDING,
        totalCents: 1999,
        shippingAddress: address,
        stockReleased: true,
        pendingEvents: [],
      })),
    );
    // The planner is told so (the table may last have been analyzed before these writes).
    await analyzeCollection('orders');
    const recorder = recordQueryShapes();
    await fx.orders.expiry.sweepUnpaid(fx.as(null), new Date(0));
    recorder.stop();
    const unreleased = recorder
      .shapes()
      .find((shape) => shape.collection === 'orders' && 'stockReleased' in shape.filter);
    // Oldest first, as every sweep step reads: the few it matches are sorted after the index read.
    expect(unreleased?.key).toBe('orders find {"status":"?","stockReleased":"?"} sort {"createdAt":1}');

    const explained = await mongoose.connection.db?.command({
      explain: { find: 'orders', filter: unreleased?.filter, sort: unreleased?.sort },
      verbosity: 'queryPlanner',
    });
    const reads = indexReads(explained ?? {});
    console.info(`cancelled orders holding stock, indexes read: ${JSON.stringify(reads)}`);
    expect(reads.scans).toBe(false);
    expect(reads.fields).toContain('stockReleased');
  });
});
