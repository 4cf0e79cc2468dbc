import { testContext } from '@shop/platform/testing';
import { ProductService } from '../product/product.service.js';
import { connectTestDb } from '../test-db.js';
import { StockService, type StockSettings } from './stock.service.js';

/**
 * Test helper: the products services over this file's share of the test database, an admin and the
 * orders service's context, and `product(price, inventory)` to add one to this file's category;
 * `settings` those of the StockService.
 */
export function stockFixture(settings: Partial<StockSettings> = {}) {
  const { db, category, cleanup } = connectTestDb();
  const products = new ProductService(db);
  const stock = new StockService(db, undefined, settings);
  const services = { products, stock };
  const admin = testContext({ id: 'admin-1', role: 'ADMIN' }, services);
  return {
    db,
    category,
    cleanup,
    products,
    stock,
    services,
    admin,
    orders: testContext({ id: 'service:orders', role: 'SERVICE' }, services),
    product: (price: string, inventory: number) => products.create(admin, { name: 'Item', price, category, inventory }),
    reservationRows: (orderId: string) => db.stockReservation.count({ where: { orderId } }),
  };
}
