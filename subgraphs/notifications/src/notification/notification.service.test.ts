import {
  notificationEmail,
  notificationSms,
  orderCreated,
  orderUpdated,
  paymentFailed,
  paymentSucceeded,
} from '@shop/events';
import { connectTestMongo, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationModel } from './notification.model.js';
import { NOTIFICATIONS_SHOWN, NotificationService } from './notification.service.js';

const notifications = new NotificationService();
const services = { notifications };
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('notifications');
});
afterAll(() => db.drop());

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { extensions?: { code?: string } }) => error.extensions?.code,
  );

describe('NotificationService.record', () => {
  it('records a redelivered event only once', async () => {
    const event = orderCreated.create({ orderId: 'o-dup', userId: 'u-dup', totalAmount: '5.00', items: [] });
    await notifications.record(event);
    await notifications.record(event);
    expect(await NotificationModel.countDocuments({ eventId: event.id })).toBe(1);
  });

  it('turns each consumed event into a short message on the right channel', async () => {
    const userId = 'u-mapping';
    const base = { orderId: 'o-1', userId };
    const events = [
      orderCreated.create({ ...base, totalAmount: '19.99', items: [{ productId: 'p', quantity: 1, price: '19.99' }] }),
      orderUpdated.create({ ...base, previousStatus: 'PAID', status: 'SHIPPED', paymentStatus: 'SUCCEEDED' }),
      paymentSucceeded.create({ ...base, paymentId: 'pay-1', amount: '19.99', transactionId: 'tx' }),
      paymentFailed.create({ ...base, paymentId: 'pay-2', amount: '19.99', failureReason: 'card_declined' }),
      notificationEmail.create({ userId, to: 'ada@example.com', subject: 'Welcome', body: 'Hello Ada' }),
      notificationSms.create({ userId, to: '+15550100', body: 'Your code is 1234' }),
    ];
    for (const event of events) await notifications.record(event);

    const shown = await notifications.forUser(testContext({ id: userId, role: 'CUSTOMER' }, services), userId);
    const byType = Object.fromEntries(
      shown.map(({ eventType, channel, subject, body, orderId }) => [eventType, { channel, subject, body, orderId }]),
    );
    expect(byType).toEqual({
      'order.created': {
        channel: 'EMAIL',
        subject: 'Order received',
        body: 'Your order o-1 was created. Total: 19.99.',
        orderId: 'o-1',
      },
      'order.updated': {
        channel: 'EMAIL',
        subject: 'Order shipped',
        body: 'Your order o-1 is now shipped.',
        orderId: 'o-1',
      },
      'payment.succeeded': {
        channel: 'EMAIL',
        subject: 'Payment received',
        body: 'Payment of 19.99 for order o-1 succeeded.',
        orderId: 'o-1',
      },
      'payment.failed': {
        channel: 'EMAIL',
        subject: 'Payment failed',
        body: 'Payment of 19.99 for order o-1 failed (card_declined). You can try again.',
        orderId: 'o-1',
      },
      'notification.email': { channel: 'EMAIL', subject: 'Welcome', body: 'Hello Ada', orderId: null },
      'notification.sms': { channel: 'SMS', subject: null, body: 'Your code is 1234', orderId: null },
    });
    expect(await NotificationModel.countDocuments({ userId, status: 'RECORDED' })).toBe(events.length);
  });
});

describe('NotificationService.forUser', () => {
  it('shows notifications to their user and an admin only', async () => {
    const userId = 'u-private';
    await notifications.record(notificationSms.create({ userId, to: '+15550100', body: 'private' }));
    const own = await notifications.forUser(testContext({ id: userId, role: 'CUSTOMER' }, services), userId);
    expect(own.map((n) => n.body)).toEqual(['private']);
    const asAdmin = await notifications.forUser(testContext({ id: 'admin', role: 'ADMIN' }, services), userId);
    expect(asAdmin).toHaveLength(1);
    const asOther = testContext({ id: 'someone-else', role: 'CUSTOMER' }, services);
    expect(await codeOf(notifications.forUser(asOther, userId))).toBe('FORBIDDEN');
    expect(await codeOf(notifications.forUser(testContext(null, services), userId))).toBe('UNAUTHENTICATED');
  });

  it(`lists the newest first, at most ${NOTIFICATIONS_SHOWN}`, async () => {
    const userId = 'u-many';
    for (let i = 0; i < NOTIFICATIONS_SHOWN + 2; i++) {
      await notifications.record(notificationSms.create({ userId, to: '+15550100', body: `message ${i}` }));
    }
    const shown = await notifications.forUser(testContext({ id: userId, role: 'CUSTOMER' }, services), userId);
    expect(shown).toHaveLength(NOTIFICATIONS_SHOWN);
    expect(shown[0]?.body).toBe(`message ${NOTIFICATIONS_SHOWN + 1}`);
    expect(shown.at(-1)?.body).toBe('message 2');
  });
});
