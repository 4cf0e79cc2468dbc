import { type Principal } from '@shop/platform/core';
import { type RequestContext } from '@shop/platform/subgraph';
import {
  connectTestMongo,
  createTestTokens,
  explainShapes,
  offlineOutbox,
  type PlanReport,
  recordQueryShapes,
  silentLogger,
  testContext,
} from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOrders, type FixtureOrder, startFakeOrders } from '../order/fake-orders.server.js';
import { OrdersClient } from '../order/order.client.js';
import type { PaymentsServices } from '../services.js';
import { PaymentService } from './payment.service.js';
import { SimulatedPaymentProvider } from './simulated-payment.provider.js';

// Every filter the payments service sends (payment, replay, decline, lookups, reconcile, refund),
// with the simulated provider's own collections, explained by the server.
const tokens = createTestTokens();
const orders = new Map<string, FixtureOrder>();
const ada: Principal = { id: 'user-ada', role: 'CUSTOMER' };
const admin: Principal = { id: 'user-admin', role: 'ADMIN' };
const system = () => ({ requestId: 'plans', log: silentLogger });

let fakeOrders: FakeOrders;
let payments: PaymentService;
let db: { drop: () => Promise<void> };
let report: PlanReport;

async function as(principal: Principal): Promise<RequestContext<PaymentsServices>> {
  return { ...testContext(principal, { payments }), authorization: `Bearer ${await tokens.sign(principal)}` };
}
function order(id: string): string {
  orders.set(id, { id, userId: ada.id, status: 'PENDING', paymentStatus: 'PENDING', totalAmount: '19.99' });
  return id;
}

beforeAll(async () => {
  db = await connectTestMongo('payments_plans');
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  fakeOrders = await startFakeOrders(tokens, orders);
  payments = new PaymentService(new OrdersClient(fakeOrders.url), new SimulatedPaymentProvider(), offlineOutbox);
  const recorder = recordQueryShapes();
  const ctx = await as(ada);
  const paid = await payments.processPayment(ctx, {
    orderId: order('o-1'),
    paymentMethod: 'card',
    idempotencyKey: 'k1',
  });
  await payments.processPayment(ctx, { orderId: 'o-1', paymentMethod: 'card', idempotencyKey: 'k1' });
  await payments.processPayment(ctx, { orderId: order('o-2'), paymentMethod: 'card_declined', idempotencyKey: 'k2' });
  const second = await payments.processPayment(ctx, {
    orderId: order('o-3'),
    paymentMethod: 'card',
    idempotencyKey: 'k3',
  });
  await payments.findById(ctx, paid.id);
  await payments.findForOrder(ctx, 'o-1');
  const request = await as(admin); // two references of each kind in one request: one batch each
  await Promise.all([payments.findById(request, paid.id), payments.findById(request, second.id)]);
  await Promise.all([payments.findForOrder(request, 'o-1'), payments.findForOrder(request, 'o-3')]);
  await payments.reconcile(system());
  orders.set('o-1', { ...(orders.get('o-1') as FixtureOrder), status: 'CANCELLED' });
  await payments.refundCancelledOrder(system(), 'o-1');
  await payments.refundCancelledOrder(system(), 'o-1');
  recorder.stop();
  report = await explainShapes(recorder.shapes());
}, 120_000);
afterAll(async () => {
  await fakeOrders?.close();
  await db?.drop();
});

describe('payments: query plans (explain through the wire)', () => {
  it('serves every filter from an index', () => {
    expect(report.scanned).toEqual([]);
    expect(report.servedCollections).toContain('payments');
  });

  it('names what FerretDB 1.x cannot push down to PostgreSQL', () => {
    if (report.server !== 'ferretdb-postgresql') return;
    // Nothing: a reference batch of several ids or orders goes as one equality per value
    // (findAnyOf), never as a `$in` that FerretDB would answer by reading the whole collection.
    expect(report.notPushedDown).toEqual([]);
  });
});
