import { randomUUID } from 'node:crypto';
import { type Principal } from '@shop/platform/core';
import { connectTestMongo, createTestTokens, testContext } from '@shop/platform/testing';
import { PaymentsClient } from '../payment/payments.client.js';
import { type FakePayments, startFakePayments } from '../payment/payments.test-server.js';
import { ProductsClient } from '../product/products.client.js';
import { type FakeProducts, startFakeProducts } from '../product/products.test-server.js';
import { OrderModel } from './order.model.js';
import { type OrderPeers, OrderService } from './order.service.js';
import { OrderStatus, PaymentStatus } from './order.type.js';
import {
  OrderHourModel,
  OrderHourTouchModel,
  OrderHourWatermarkModel,
  OrderMigrationModel,
} from './order-hour.model.js';
import type { OrderHourRegistry } from './order-hour.registry.js';
import { OrderTransitionModel } from './order-transition.model.js';

/** Test helper: a private database, products and payments peers over HTTP and an OrderService wired to them. */
export const tokens = createTestTokens();

export const BOOK = '11111111-1111-4111-8111-111111111111';
export const PEN = '22222222-2222-4222-8222-222222222222';
export const RARE = '33333333-3333-4333-8333-333333333333';
/** Priced at the most a price may be: two of it exceed the most an order may total. */
export const GOLD = '44444444-4444-4444-8444-444444444444';

export const address = { street: '1 Main St', city: 'Springfield', state: 'IL', zipCode: '62701', country: 'US' };

export const customer = (id: string): Principal => ({ id, role: 'CUSTOMER' });
export const admin: Principal = { id: 'admin-1', role: 'ADMIN' };
/** The two customers the tests place orders as: a customer never sees another's orders. */
export const ada = customer('user-ada');
export const bob = customer('user-bob');

export interface OrdersFixture {
  products: FakeProducts;
  payments: FakePayments;
  /** Clients of the two peers, for a service of a test's own. */
  peers: () => OrderPeers;
  orders: OrderService;
  /** The same service as another replica would run it: its own memory, the same database and peers. */
  replica: (hours?: OrderHourRegistry) => OrderService;
  as: (principal: Principal | null) => ReturnType<typeof testContext<{ orders: OrderService }>>;
  close: () => Promise<void>;
}

/** `outbox` defaults to a relay that is never running, so events stay in the documents for inspection. */
export async function startOrdersFixture(outbox = { kick: () => {} }): Promise<OrdersFixture> {
  const db = await connectTestMongo('orders');
  const products = await startFakeProducts(tokens, [
    { id: BOOK, price: '19.99', stock: 100 },
    { id: PEN, price: '0.35', stock: 5000 },
    { id: RARE, price: '250.00', stock: 1 },
    { id: GOLD, price: '99999999.99', stock: 10 },
  ]);
  const payments = await startFakePayments(tokens);
  const peers = () => ({
    products: new ProductsClient(products.url, tokens),
    payments: new PaymentsClient(payments.url, tokens),
  });
  const replica = (hours?: OrderHourRegistry) => new OrderService(peers(), outbox, hours);
  const orders = replica();
  return {
    products,
    payments,
    peers,
    orders,
    replica,
    as: (principal) => testContext(principal, { orders }),
    close: async () => {
      await products.close();
      await payments.close();
      await db.drop();
    },
  };
}

/** Every order, claim and hour record gone: a test of the hours starts from none. */
export async function deleteOrdersAndHours(): Promise<void> {
  await Promise.all([
    OrderModel.deleteMany({}),
    OrderTransitionModel.deleteMany({}),
    OrderHourModel.deleteMany({}),
    OrderMigrationModel.deleteMany({}),
    OrderHourTouchModel.deleteMany({}),
    OrderHourWatermarkModel.deleteMany({}),
  ]);
}

/** An order of `userId`'s for 1.00 in `status` (PENDING or PAID), placed at `createdAt`, as stored, its stock confirmed. */
export const orderDocument = (userId: string, createdAt: Date, status: OrderStatus = OrderStatus.PENDING) => ({
  _id: randomUUID(),
  userId,
  items: [{ productId: BOOK, quantity: 1, priceCents: 100 }],
  status,
  paymentStatus: status === OrderStatus.PAID ? PaymentStatus.SUCCEEDED : PaymentStatus.PENDING,
  totalCents: 100,
  shippingAddress: address,
  stockConfirmed: true,
  pendingEvents: [],
  createdAt,
});
