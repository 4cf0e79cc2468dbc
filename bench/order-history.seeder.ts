import { hourOf } from '@shop/platform/core';
// The orders scenario's existing data: `orders` past orders with their customers, payments,
// notifications and transition claims (bench/order-history.documents.ts),
// inserted in bulk straight into the services' MongoDB databases (insertMany in batches), each
// document cast and validated by the service's own model first, then the services' own indexes
// (their models' syncIndexes: on this database of their own, what each service's start builds). A marker document records what was
// seeded; a later run with the same counts finds it and only removes what earlier runs added
// (everything dated after the history, and collections the history does not hold), so a re-run
// skips the seeding. `fresh` seeds again regardless.
import type { Connection, Model } from 'mongoose';
import pg from 'pg';
import { NotificationModel } from '../subgraphs/notifications/src/notification/notification.model.js';
import { OrderModel } from '../subgraphs/orders/src/order/order.model.js';
import type { OrderStatus } from '../subgraphs/orders/src/order/order.type.js';
import {
  addToStatusNet,
  OrderHourModel,
  OrderMigrationModel,
  type StatusNet,
} from '../subgraphs/orders/src/order/order-hour.model.js';
import {
  CREATED_HOUR_BACKFILL,
  lastClosedHour,
  TRANSITION_HOUR_BACKFILL,
} from '../subgraphs/orders/src/order/order-hour.registry.js';
import { OrderTransitionModel } from '../subgraphs/orders/src/order/order-transition.model.js';
import { PaymentModel } from '../subgraphs/payments/src/payment/payment.model.js';
import { passwordHasher } from '../subgraphs/users/src/user/password-hasher.js';
import { UserModel } from '../subgraphs/users/src/user/user.model.js';
import { historicUser, type OrderTrace, orderTrace } from './order-history.documents.js';
import { connectBenchMongo, ferretdbPgUrl, mongoDatabase, SUBGRAPHS } from './stack.js';

export interface HistoryOptions {
  orders: number;
  /** The catalogue the stack seeds; the history's items are among its products. */
  products: number;
  fresh?: boolean;
}

export interface HistoryReport {
  reused: boolean;
  seconds: number;
  /** Documents per `<database>/<collection>`, as seeded. */
  documents: Record<string, number>;
}

interface Marker {
  _id: string;
  format: number;
  orders: number;
  products: number;
  /** Every history document is dated before this; anything later is a run's own. */
  until: Date;
  documents: Record<string, number>;
}

type AnyModel = Model<Record<string, unknown>>;
type State = { status: string; paymentStatus: string };

/** Raise when the documents change shape: a run then finds no matching marker and seeds again. */
const FORMAT = 4;
const ORDERS_PER_USER = 10;
const BATCH = 1_000;
const MARKER_ID = 'order-history';

/** The services' models, by database and collection. */
const MODELS: Record<string, Record<string, AnyModel>> = {
  users: { users: UserModel as unknown as AnyModel },
  orders: {
    orders: OrderModel as unknown as AnyModel,
    order_transitions: OrderTransitionModel as unknown as AnyModel,
    order_hours: OrderHourModel as unknown as AnyModel,
    order_migrations: OrderMigrationModel as unknown as AnyModel,
  },
  payments: { payments: PaymentModel as unknown as AnyModel },
  notifications: { notifications: NotificationModel as unknown as AnyModel },
};

/** Ready-to-insert documents: cast, defaulted and validated by the service's model, as `create` stores them. */
async function shaped(model: AnyModel, documents: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const versionKey = model.schema.get('versionKey');
  return Promise.all(
    documents.map(async (document) => {
      const doc = new model(document);
      await doc.validate();
      const stored = doc.toObject({ virtuals: false, getters: false });
      if (typeof versionKey === 'string') stored[versionKey] = 0;
      return stored;
    }),
  );
}

/** The bench's own database (beside the services'), holding the marker. */
const markers = (connection: Connection) => connection.useDb(mongoDatabase('bench')).collection<Marker>('seeded');

export async function prepareOrderHistory(options: HistoryOptions): Promise<HistoryReport> {
  const startedAt = performance.now();
  const connection = await connectBenchMongo();
  try {
    const marker = await markers(connection).findOne({ _id: MARKER_ID });
    const matches =
      marker?.format === FORMAT &&
      marker.orders === options.orders &&
      marker.products === options.products &&
      // The data itself still there (a marker outliving its data would pass an empty collection off as the history).
      (await connection.useDb(mongoDatabase('orders')).collection('orders').estimatedDocumentCount()) >= marker.orders;
    if (matches && !options.fresh) {
      await removeRunData(connection, marker.until);
      return { reused: true, seconds: (performance.now() - startedAt) / 1000, documents: marker.documents };
    }
    for (const name of [...SUBGRAPHS, 'bench']) await connection.useDb(mongoDatabase(name)).dropDatabase();
    const documents = await seed(connection, options);
    await analyze();
    return { reused: false, seconds: (performance.now() - startedAt) / 1000, documents };
  } finally {
    await connection.close();
  }
}

async function seed(connection: Connection, options: HistoryOptions): Promise<Record<string, number>> {
  const until = new Date();
  const bound = Object.fromEntries(
    Object.entries(MODELS).map(([service, models]) => {
      const db = connection.useDb(mongoDatabase(service));
      return [
        service,
        Object.fromEntries(
          Object.entries(models).map(([collection, model]) => [
            collection,
            db.model(model.modelName, model.schema, collection) as AnyModel,
          ]),
        ),
      ];
    }),
  ) as Record<string, Record<string, AnyModel>>;
  const counts: Record<string, number> = {};
  const insert = async (service: string, collection: string, documents: Record<string, unknown>[]) => {
    const model = bound[service]?.[collection];
    if (!model || documents.length === 0) return;
    await model.collection.insertMany(await shaped(model, documents), { ordered: false });
    const key = `${mongoDatabase(service)}/${collection}`;
    counts[key] = (counts[key] ?? 0) + documents.length;
  };

  const passwordHash = await passwordHasher.hash('Bench-history-password-42!');
  const users = Array.from({ length: Math.max(1, Math.ceil(options.orders / ORDERS_PER_USER)) }, (_, i) =>
    historicUser(i, passwordHash, until),
  );
  for (let start = 0; start < users.length; start += BATCH) {
    await insert('users', 'users', users.slice(start, start + BATCH) as unknown as Record<string, unknown>[]);
  }
  const plan = { orders: options.orders, products: options.products, users, until };
  const ordersByHour = new Map<number, number>();
  const netByHour = new Map<number, StatusNet>();
  const move = (hour: number, to: string, from?: string) => {
    const net = netByHour.get(hour) ?? {};
    addToStatusNet(net, to as OrderStatus, from as OrderStatus | undefined);
    netByHour.set(hour, net);
  };
  let reported = 0;
  for (let start = 0; start < options.orders; start += BATCH) {
    const traces: OrderTrace[] = [];
    for (let i = start; i < Math.min(options.orders, start + BATCH); i++) traces.push(orderTrace(i, plan));
    for (const order of traces.flatMap((trace) => trace.orders.orders)) {
      const hour = hourOf(order.createdAt as Date);
      ordersByHour.set(hour, (ordersByHour.get(hour) ?? 0) + 1);
      move(hour, 'PENDING');
    }
    for (const transition of traces.flatMap((trace) => trace.orders.order_transitions)) {
      const { from, to, createdHour } = transition as { from: State; to: State; createdHour: number };
      move(createdHour, to.status, from.status);
    }
    const inserts: Promise<void>[] = [];
    for (const [service, collections] of Object.entries(MODELS)) {
      for (const collection of Object.keys(collections)) {
        const byOrder = traces.map((trace) => (trace as unknown as Record<string, Record<string, unknown[]>>)[service]);
        const documents = byOrder.flatMap((part) => (part?.[collection] ?? []) as Record<string, unknown>[]);
        inserts.push(insert(service, collection, documents));
      }
    }
    await Promise.all(inserts);
    const done = Math.min(options.orders, start + BATCH);
    if (done - reported >= options.orders / 10 || done === options.orders) {
      console.log(`  seeded ${done.toLocaleString('en-US')} of ${options.orders.toLocaleString('en-US')} orders`);
      reported = done;
    }
  }
  await insert('orders', 'order_hours', listingHours(ordersByHour, netByHour, until));
  await insert('orders', 'order_migrations', [
    { _id: CREATED_HOUR_BACKFILL, doneAt: until },
    { _id: TRANSITION_HOUR_BACKFILL, doneAt: until },
  ]);
  // The services' indexes, built once over the loaded data; each service's start then finds them in place.
  for (const models of Object.values(bound)) for (const model of Object.values(models)) await model.syncIndexes();
  await markers(connection).insertOne({
    _id: MARKER_ID,
    format: FORMAT,
    orders: options.orders,
    products: options.products,
    until,
    documents: counts,
  });
  return counts;
}

/**
 * The orders' listing hours as the orders processes would have registered them over the history:
 * every hour from the first order's to the one after `until`, closed ones with their figures.
 */
function listingHours(
  ordersByHour: Map<number, number>,
  netByHour: Map<number, StatusNet>,
  until: Date,
): Record<string, unknown>[] {
  const last = hourOf(until);
  const hours: Record<string, unknown>[] = [];
  for (let hour = Math.min(...ordersByHour.keys(), last); hour <= last + 1; hour++) {
    const closed = hour <= lastClosedHour(until);
    const figures = { count: ordersByHour.get(hour) ?? 0, statusNet: netByHour.get(hour) ?? {} };
    hours.push(closed ? { _id: hour, ...figures } : { _id: hour });
  }
  return hours;
}

/**
 * Removes what runs added to the history: documents dated after it, and collections it does not
 * hold. FerretDB 1.x reads a whole collection for a date range, so the collections go in parallel.
 */
async function removeRunData(connection: Connection, until: Date): Promise<void> {
  const removals = SUBGRAPHS.map(async (service) => {
    const db = connection.useDb(mongoDatabase(service));
    const seeded = MODELS[service] ?? {};
    await Promise.all(
      (await db.listCollections()).map(({ name }) =>
        name in seeded ? db.collection(name).deleteMany({ createdAt: { $gte: until } }) : db.dropCollection(name),
      ),
    );
  });
  await Promise.all(removals);
}

/** Fresh planner statistics for the loaded tables, when the server is FerretDB on a PostgreSQL the bench reaches. */
async function analyze(): Promise<void> {
  const client = new pg.Client({ connectionString: ferretdbPgUrl });
  try {
    await client.connect();
    await client.query('ANALYZE');
  } catch (error) {
    console.log(`  (no ANALYZE of ${new URL(ferretdbPgUrl).pathname.slice(1)}: ${(error as Error).message})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
