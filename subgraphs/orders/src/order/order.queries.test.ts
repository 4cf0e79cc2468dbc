import { paymentSucceeded } from '@shop/events';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OrderModel } from './order.model.js';
import { address, admin, BOOK, customer, type OrdersFixture, startOrdersFixture } from './order.test-fixture.js';
import { OrderStatus } from './order.type.js';
import { OrderTransitionModel } from './order-transition.model.js';

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

/** The fields a filter constrains, `$or` branches included. */
function filterFields(filter: Record<string, unknown>): Set<string> {
  const fields = new Set<string>();
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$or' || key === '$and') {
      for (const branch of value as Record<string, unknown>[])
        for (const field of filterFields(branch)) fields.add(field);
    } else fields.add(key);
  }
  return fields;
}

/**
 * Whether one of the model's indexes can serve the command: it leads with a field the filter
 * constrains, or (an unfiltered listing) its keys begin with the sort. An unfiltered, unsorted
 * command (an admin's total count) reads the whole collection by definition.
 */
function served(schema: mongoose.Schema, command: Sent): boolean {
  const indexes = [{ _id: 1 }, ...schema.indexes().map(([keys]) => keys as Record<string, number>)];
  const fields = filterFields(command.filter);
  const sort = Object.entries(command.options.sort ?? {});
  return indexes.some((index) => {
    const keys = Object.entries(index);
    if (fields.size > 0) return fields.has(keys[0]?.[0] ?? '');
    return (
      sort.length === 0 ||
      (sort.length > 0 && sort.every(([field, direction], i) => keys[i]?.[0] === field && keys[i]?.[1] === direction))
    );
  });
}

/** Excludes `pendingEvents`, or includes only named fields other than it. */
function withoutOutbox(projection: Record<string, unknown> = {}): boolean {
  if (projection.pendingEvents === 0) return true;
  const included = Object.entries(projection).filter(([, value]) => value === 1 || value === true);
  return included.length > 0 && !('pendingEvents' in projection);
}

const unserved = (model: { schema: mongoose.Schema; collection: { name: string } }) =>
  calls(model.collection.name)
    .filter((command) => command.method !== 'insertOne' && command.method !== 'createIndex')
    .filter((command) => !served(model.schema, command))
    .map(({ method, filter, options }) => ({ method, filter, sort: options.sort }));

describe('orders: queries per operation, projections and indexes', () => {
  it('places an order with one write and no read of its own database', async () => {
    await place();
    expect(calls('orders').map((command) => command.method)).toEqual(['insertOne']);
    expect(calls('order_transitions')).toEqual([]);
  });

  it('moves an order on with one read, one claim insert and one conditional update', async () => {
    const order = await place();
    sent = [];
    await fx.orders.recordPaymentSucceeded(
      paymentSucceeded.create({
        paymentId: 'payment-queries-1',
        orderId: order.id,
        userId: ada.id,
        amount: order.totalAmount,
        transactionId: 'txn-queries-1',
      }),
    );
    expect(sent.map(({ collection, method }) => `${collection}.${method}`)).toEqual([
      'orders.findOne',
      'order_transitions.insertOne',
      'orders.findOneAndUpdate',
    ]);
  });

  it('reads orders without their outbox, and every read or update is served by an index', async () => {
    const first = await place();
    await place();
    await place();
    const page = await fx.orders.list(fx.as(ada), { first: 2 });
    await fx.orders.list(fx.as(ada), { first: 2, after: page.pageInfo.endCursor });
    await fx.orders.list(fx.as(admin), { first: 2, status: null });
    await fx.orders.list(fx.as(admin), { first: 2, status: OrderStatus.PENDING });
    await fx.orders.findById(fx.as(ada), first.id);
    await fx.orders.updateStatus(fx.as(ada), first.id, OrderStatus.CANCELLED);
    await fx.orders.sweepUnpaid(fx.as(null), new Date(0));

    const reads = calls('orders').filter((command) => command.method === 'find' || command.method === 'findOne');
    expect(reads.length).toBeGreaterThanOrEqual(8);
    for (const read of reads) expect(withoutOutbox(read.options.projection), JSON.stringify(read)).toBe(true);
    expect(unserved(OrderModel)).toEqual([]);
    expect(unserved(OrderTransitionModel)).toEqual([]);
  });
});
