import { randomUUID } from 'node:crypto';
import { EventBus, type EventEnvelope, productChanged } from '@shop/events';
import { metricsRegistry } from '@shop/platform/telemetry';
import {
  TEST_AMQP_URL as AMQP_URL,
  eventually,
  silentLogger as log,
  metricValue,
  observeEvents,
  recordingLogger,
  testContext,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductsDb } from '../product/product.model.js';
import { ProductService } from '../product/product.service.js';
import { StockService } from '../stock/stock.service.js';
import { connectTestDb, createPrivateTestDb } from '../test-db.js';
import { PostgresOutboxRelay } from './outbox.relay.js';

const { db, category, cleanup } = connectTestDb();
const bus = new EventBus({ url: AMQP_URL, exchange: 'shop.events', log, connectionName: 'products-outbox-test' });
const products = new ProductService(db);
const stock = new StockService(db);
const admin = testContext({ id: 'admin-1', role: 'ADMIN' }, { products, stock });
const orders = testContext({ id: 'service:orders', role: 'SERVICE' }, { products, stock });
/** What reached the broker, as a consumer of product.changed sees it. */
const received: EventEnvelope[] = [];

beforeAll(async () => {
  await observeEvents(bus, 'test.products-outbox', [productChanged], received);
});
afterAll(async () => {
  await bus.close();
  await cleanup();
});

type Change = { productId: string; change: string };
const pendingFor = async (productId: string): Promise<Change[]> =>
  (
    await db.$queryRaw<{ envelope: EventEnvelope<string, Change> }[]>`
      SELECT envelope FROM outbox_events WHERE envelope->'data'->>'productId' = ${productId} ORDER BY occurred_at`
  ).map((row) => row.envelope.data);
const receivedFor = (productId: string) =>
  received.filter((event) => (event.data as Change).productId === productId).map((event) => event.data as Change);

// Other relays (the e2e stack's products process) may share this database and broker: what is
// checked is what reaches the broker, whoever published it, once nothing is left to publish.
const relay = new PostgresOutboxRelay(db, bus, log);
async function publishedFor(productId: string, count: number): Promise<Change[]> {
  await eventually(() => bus.isConnected());
  await relay.drain();
  await eventually(async () => (await pendingFor(productId)).length === 0 && receivedFor(productId).length >= count);
  return receivedFor(productId);
}

describe('product changes and their events', () => {
  it('records an event in the transaction of each create, update, reservation and release', async () => {
    const { id } = await products.create(admin, { name: 'Lamp', price: '10.00', category, inventory: 5 });
    await products.update(admin, id, { price: '12.00' });
    const orderId = randomUUID();
    await stock.reserve(orders, orderId, [{ productId: id, quantity: 2 }]);
    // A retried reservation and a second release change nothing: no event.
    await stock.reserve(orders, orderId, [{ productId: id, quantity: 2 }]);
    await stock.release(orders, orderId);
    await stock.release(orders, orderId);
    expect(await publishedFor(id, 4)).toEqual([
      { productId: id, change: 'created' },
      { productId: id, change: 'updated' },
      { productId: id, change: 'stock' },
      { productId: id, change: 'stock' },
    ]);
    // A later change marks the end: an event of the retry or the second release would arrive before its own.
    await products.update(admin, id, { price: '13.00' });
    expect(await publishedFor(id, 5)).toEqual([
      { productId: id, change: 'created' },
      { productId: id, change: 'updated' },
      { productId: id, change: 'stock' },
      { productId: id, change: 'stock' },
      { productId: id, change: 'updated' },
    ]);
  });

  it('records nothing when the change fails', async () => {
    const { id } = await products.create(admin, { name: 'Lamp', price: '10.00', category, inventory: 1 });
    await expect(products.update(admin, id, { price: 'free' })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const unknown = randomUUID();
    await expect(products.update(admin, unknown, { price: '1.00' })).rejects.toMatchObject({
      extensions: { code: 'NOT_FOUND' },
    });
    await expect(stock.reserve(orders, randomUUID(), [{ productId: id, quantity: 2 }])).rejects.toMatchObject({
      extensions: { code: 'INSUFFICIENT_STOCK' },
    });
    expect(await publishedFor(id, 1)).toEqual([{ productId: id, change: 'created' }]);
    // A later change marks the end: an event the failures recorded, for either id, would be published before it.
    await products.update(admin, id, { price: '11.00' });
    expect(await publishedFor(id, 2)).toEqual([
      { productId: id, change: 'created' },
      { productId: id, change: 'updated' },
    ]);
    expect(await pendingFor(unknown)).toEqual([]);
    expect(receivedFor(unknown)).toEqual([]);
  });
});

describe('PostgresOutboxRelay', () => {
  it('publishes at once when kicked after a commit, and removes what it published', async () => {
    const kicked = new PostgresOutboxRelay(db, bus, log, { intervalMs: 3_600_000 });
    const kickingProducts = new ProductService(db, kicked);
    await eventually(() => bus.isConnected());
    const { id } = await kickingProducts.create(admin, { name: 'Desk', price: '99.00', category, inventory: 1 });
    await eventually(async () => receivedFor(id).length === 1 && (await pendingFor(id)).length === 0);
    expect(receivedFor(id)).toEqual([{ productId: id, change: 'created' }]);
    await kicked.stop();
  });

  it('publishes what a relay that died mid-batch left locked, once its connection is gone', async () => {
    // A database of its own: another relay draining the shared one would take the row first.
    const own = await createPrivateTestDb();
    const ownDb = createProductsDb(own.url);
    try {
      const ownProducts = new ProductService(ownDb.db);
      const ownPending = async (productId: string) =>
        (
          await ownDb.db.$queryRaw<{ envelope: EventEnvelope<string, Change> }[]>`
            SELECT envelope FROM outbox_events WHERE envelope->'data'->>'productId' = ${productId}`
        ).map((row) => row.envelope.data);
      // The relay that dies: its own database session, named so the test can cut it.
      const application = `outbox-crash-${randomUUID().slice(0, 8)}`;
      const url = new URL(own.url);
      url.searchParams.set('application_name', application);
      const doomed = createProductsDb(url.toString());
      const confirms: (() => void)[] = [];
      const stuckBus = {
        isConnected: () => true,
        // No confirm comes: the relay holds its rows' locks, as one that died in the middle would.
        publish: () => new Promise<{ routed: boolean }>((resolve) => confirms.push(() => resolve({ routed: true }))),
      };
      const { id } = await ownProducts.create(admin, { name: 'Chair', price: '49.00', category, inventory: 1 });
      const crashing = new PostgresOutboxRelay(doomed.db, stuckBus, log, { batchSize: 100_000 })
        .drain()
        .catch(() => 'crashed');
      await eventually(() => confirms.length > 0);

      // Another replica's relay skips the locked rows instead of waiting for them.
      const survivor = new PostgresOutboxRelay(ownDb.db, bus, log);
      await survivor.drain();
      expect(await ownPending(id)).toEqual([{ productId: id, change: 'created' }]);
      expect(receivedFor(id)).toEqual([]);

      // The first relay's process dies: PostgreSQL ends its session and rolls its batch back.
      await ownDb.db
        .$queryRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${application}`;
      for (const confirm of confirms) confirm();
      expect(await crashing).toBe('crashed');
      await doomed.close().catch(() => undefined);
      // pg_terminate_backend only signals: the locks go with the session, once it has ended.
      await eventually(
        async () =>
          (
            await ownDb.db.$queryRaw<{ count: bigint }[]>`
              SELECT count(*) AS count FROM pg_stat_activity WHERE application_name = ${application}`
          )[0]?.count === 0n,
      );

      await eventually(() => bus.isConnected());
      await survivor.drain();
      expect(await ownPending(id)).toEqual([]);
      await eventually(() => receivedFor(id).length >= 1);
      expect(receivedFor(id)).toEqual([{ productId: id, change: 'created' }]);
    } finally {
      await ownDb.close();
      await own.drop();
    }
  });

  it('parks an event no queue is bound for in outbox_parked, logs it at error and counts it, and goes on', async () => {
    const own = await createPrivateTestDb();
    const ownDb = createProductsDb(own.url);
    try {
      const ownProducts = new ProductService(ownDb.db);
      const { id } = await ownProducts.create(admin, { name: 'Stool', price: '9.00', category, inventory: 1 });
      const [row] = await ownDb.db.outboxEvent.findMany();
      // A broker that confirms and routes nothing: no queue is bound.
      const unbound = { isConnected: () => true, publish: async () => ({ routed: false }) };
      const { log: errorLog, lines: errors } = recordingLogger<{ eventId?: string; outbox?: string }>(
        'error',
        'products',
      );
      const parkedBefore = metricValue(await metricsRegistry.metrics(), 'outbox_events_parked_total', {
        outbox: 'outbox_events',
      });
      await new PostgresOutboxRelay(ownDb.db, unbound, errorLog).drain();

      expect(await ownDb.db.outboxEvent.count()).toBe(0);
      const parked = await ownDb.db.outboxParkedEvent.findMany();
      expect(parked).toEqual([expect.objectContaining({ id: row?.id, type: 'product.changed', reason: 'unroutable' })]);
      expect((parked[0]?.envelope as { data?: Change } | undefined)?.data).toEqual({
        productId: id,
        change: 'created',
      });
      expect(errors).toContainEqual(expect.objectContaining({ eventId: row?.id, outbox: 'outbox_events' }));
      expect(
        metricValue(await metricsRegistry.metrics(), 'outbox_events_parked_total', { outbox: 'outbox_events' }),
      ).toBe(parkedBefore + 1);
    } finally {
      await ownDb.close();
      await own.drop();
    }
  });
});
