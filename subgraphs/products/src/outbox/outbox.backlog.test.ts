import { metricsRegistry } from '@shop/platform/telemetry';
import { silentLogger as log, metricValue, testContext } from '@shop/platform/testing';
import { expect, it } from 'vitest';
import { createProductsDb } from '../product/product.model.js';
import { ProductService } from '../product/product.service.js';
import { createPrivateTestDb } from '../test-db.js';
import { PostgresOutboxRelay } from './outbox.relay.js';

it('reports the events waiting in outbox_events while the broker is away (outbox_pending_events)', async () => {
  const own = await createPrivateTestDb();
  const { db, close } = createProductsDb(own.url);
  const relay = new PostgresOutboxRelay(db, { isConnected: () => false, publish: async () => ({ routed: true }) }, log);
  try {
    const products = new ProductService(db);
    const admin = testContext({ id: 'admin-1', role: 'ADMIN' }, { products });
    for (const name of ['Stool', 'Bench', 'Chair']) {
      await products.create(admin, { name, price: '9.00', category: 'seats', inventory: 1 });
    }
    relay.start();
    const scrape = await metricsRegistry.metrics();
    expect(metricValue(scrape, 'outbox_pending_events', { collection: 'outbox_events' })).toBe(3);
    expect(scrape).toMatch(/^outbox_events_parked_total\{[^}]*outbox="outbox_events"[^}]*\} 0$/m);
  } finally {
    await relay.stop();
    await close();
    await own.drop();
  }
});
