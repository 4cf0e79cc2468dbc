import { notificationEmail, notificationSms, orderCreated, orderUpdated, paymentSucceeded } from '@shop/events';
import { metricsRegistry } from '@shop/platform/telemetry';
import { codeOf, connectTestMongo, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestContactDirectory } from '../contact/contact.test-directory.js';
import { ForgottenAccountModel } from './forgotten-account.model.js';
import { NotificationModel } from './notification.model.js';
import { NOTIFICATIONS_SHOWN, NotificationService } from './notification.service.js';
import { RecordingOutbox } from './notification.test-outbox.js';
import { NotificationChannel, NotificationStatus } from './notification.type.js';

const contacts = new TestContactDirectory()
  .add('u-ada', { email: 'ada@example.com', phone: '+15550100' })
  .add('u-bob', { email: 'bob@example.com' })
  .deleted('u-left')
  .fail('u-down');
const outbox = new RecordingOutbox();
const notifications = new NotificationService(contacts, outbox);
const services = { notifications };
let db: { drop: () => Promise<void> };

beforeAll(async () => {
  db = await connectTestMongo('notifications');
});
afterAll(() => db.drop());

const receipt = (userId: string, orderId: string) =>
  paymentSucceeded.create({ orderId, userId, paymentId: 'pay', amount: '19.99', transactionId: 'tx' });

describe('NotificationService.handle', () => {
  it('counts its parked send requests from 0 before any, so an alert sees the first', async () => {
    expect(await metricsRegistry.metrics()).toMatch(
      /^outbox_events_parked_total\{[^}]*outbox="notifications"[^}]*\} 0$/m,
    );
  });

  it('publishes the send requests of the decided notifications, which carry all the sender records', async () => {
    const published = outbox.requests.length;
    const event = receipt('u-ada', 'o-receipt');
    await notifications.handle(event);
    // Nothing written: each notification is written once, by its sender, with its delivery's state.
    expect(await NotificationModel.countDocuments({ eventId: event.id })).toBe(0);
    const [email, sms] = outbox.requests.slice(published);
    expect(notificationEmail.schema.parse(email).data).toEqual({
      userId: 'u-ada',
      to: 'ada@example.com',
      subject: 'Payment receipt for order o-receipt',
      body: 'We received your payment of 19.99 for order o-receipt. Transaction: tx.',
      notificationId: `${event.id}:payment-receipt`,
      orderId: 'o-receipt',
      decidedFrom: { eventId: event.id, eventType: 'payment.succeeded', template: 'payment-receipt' },
    });
    expect(notificationSms.schema.parse(sms).data).toMatchObject({
      to: '+15550100',
      notificationId: `${event.id}:payment-receipt-sms`,
    });
    expect(outbox.requests).toHaveLength(published + 2);
  });

  it('publishes the same request again, under the same id, when the same event is handled again', async () => {
    const event = orderCreated.create({ orderId: 'o-dup', userId: 'u-ada', totalAmount: '5.00', items: [] });
    await notifications.handle(event);
    await notifications.handle(event);
    const requests = outbox.requests.filter(
      (request) => (request.data as { notificationId: string }).notificationId === `${event.id}:order-confirmation`,
    );
    expect(requests).toHaveLength(2);
    expect(requests[1]?.id).toBe(requests[0]?.id);
  });

  it('records a message with nowhere to go as SKIPPED, without a send request', async () => {
    const event = receipt('u-bob', 'o-nophone');
    await notifications.handle(event);
    await notifications.handle(event);
    const sms = await NotificationModel.findById(`${event.id}:payment-receipt-sms`).lean();
    expect(sms).toMatchObject({
      status: 'SKIPPED',
      lastError: 'no address on file for this channel',
    });
    expect(await NotificationModel.countDocuments({ eventId: event.id })).toBe(1);
    expect(() => outbox.requestOf(`${event.id}:payment-receipt-sms`)).toThrow('no send request');
    const unknown = orderCreated.create({ orderId: 'o-ghost', userId: 'u-ghost', totalAmount: '5.00', items: [] });
    await notifications.handle(unknown);
    expect(await NotificationModel.findOne({ eventId: unknown.id }).lean()).toMatchObject({
      status: 'SKIPPED',
      lastError: 'no such user',
    });
  });

  it('writes and requests nothing for a deleted account', async () => {
    const published = outbox.requests.length;
    const event = orderUpdated.create({
      orderId: 'o-left',
      userId: 'u-left',
      previousStatus: 'PENDING',
      status: 'CANCELLED',
      paymentStatus: 'PENDING',
    });
    await notifications.handle(event);
    expect(outbox.requests).toHaveLength(published);
    expect(await NotificationModel.countDocuments({ userId: 'u-left' })).toBe(0);
  });

  it('fails, storing nothing, when the contact lookup fails (so the bus retries)', async () => {
    const event = orderCreated.create({ orderId: 'o-down', userId: 'u-down', totalAmount: '5.00', items: [] });
    await expect(notifications.handle(event)).rejects.toThrow('users subgraph unavailable');
    expect(await NotificationModel.countDocuments({ eventId: event.id })).toBe(0);
  });

  it('asks nobody about an event that sends nothing', async () => {
    const lookups = contacts.lookups.get('u-ada');
    const paid = orderUpdated.create({
      orderId: 'o-paid',
      userId: 'u-ada',
      previousStatus: 'PENDING',
      status: 'PAID',
      paymentStatus: 'SUCCEEDED',
    });
    await notifications.handle(paid);
    expect(contacts.lookups.get('u-ada')).toBe(lookups);
    expect(await NotificationModel.countDocuments({ eventId: paid.id })).toBe(0);
  });
});

describe('reading notifications', () => {
  const as = (id: string, role: 'CUSTOMER' | 'ADMIN' = 'CUSTOMER') => testContext({ id, role }, services);

  it('shows User.notifications to their user and an admin only', async () => {
    // u-bob has no phone: the receipt's SMS is recorded (SKIPPED) by the decider itself.
    await notifications.handle(receipt('u-bob', 'o-p'));
    const own = await notifications.forUser(as('u-bob'), 'u-bob');
    expect(own.map((n) => n.orderId)).toContain('o-p');
    expect(await notifications.forUser(as('admin', 'ADMIN'), 'u-bob')).toHaveLength(own.length);
    expect(await codeOf(notifications.forUser(as('u-ada'), 'u-bob'))).toBe('NOT_FOUND');
    expect(await codeOf(notifications.forUser(testContext(null, services), 'u-bob'))).toBe('UNAUTHENTICATED');
  });

  it('counts the caller’s notifications only when totalCount is read, once however often', async () => {
    // No phone: the receipt's SMS is recorded (SKIPPED) by the decider itself.
    contacts.add('u-counted', { email: 'counted@example.com' });
    await notifications.handle(receipt('u-counted', 'o-counted'));
    const counts = vi.spyOn(NotificationModel, 'countDocuments');
    try {
      const page = await notifications.list(as('u-counted'), {});
      expect(page.edges.length).toBeGreaterThan(0);
      expect(page.pageInfo.hasNextPage).toBe(false);
      expect(counts).not.toHaveBeenCalled();
      expect(await Promise.all([page.totalCount, page.totalCount])).toEqual([page.edges.length, page.edges.length]);
      expect(counts).toHaveBeenCalledTimes(1);
    } finally {
      counts.mockRestore();
    }
  });

  it(`caps User.notifications at the newest ${NOTIFICATIONS_SHOWN}, and pages the caller's own through notifications()`, async () => {
    const userId = 'u-many';
    // No phone: each receipt's SMS is recorded (SKIPPED) by the decider itself.
    contacts.add(userId, { email: 'many@example.com' });
    const total = NOTIFICATIONS_SHOWN + 3;
    for (let i = 0; i < total; i++) await notifications.handle(receipt(userId, `o-${i}`));
    const shown = await notifications.forUser(as(userId), userId);
    expect(shown).toHaveLength(NOTIFICATIONS_SHOWN);
    const newestFirst = (times: Date[]) => times.every((time, i) => i === 0 || time <= (times[i - 1] as Date));
    expect(newestFirst(shown.map((n) => n.createdAt))).toBe(true);

    const seen: string[] = [];
    const times: Date[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await notifications.list(as(userId), { first: 20, after });
      expect(await page.totalCount).toBe(total);
      seen.push(...page.edges.map((edge) => edge.node.orderId ?? ''));
      times.push(...page.edges.map((edge) => edge.node.createdAt));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    // Every one exactly once, newest first (creations within one millisecond may come in either order).
    expect([...seen].sort()).toEqual(Array.from({ length: total }, (_, i) => `o-${i}`).sort());
    expect(newestFirst(times)).toBe(true);
    // The caller's own only, whoever else has notifications.
    expect(await (await notifications.list(as('u-nobody'), {})).totalCount).toBe(0);
    expect(await codeOf(notifications.list(testContext(null, services), {}))).toBe('UNAUTHENTICATED');
    expect(await codeOf(notifications.list(as(userId), { first: 0 }))).toBe('BAD_USER_INPUT');
  });
});

describe('NotificationService.forgetUser', () => {
  const record = (id: string, userId: string) =>
    NotificationModel.create({
      _id: id,
      eventId: id,
      eventType: 'order.created',
      template: 'order-confirmation',
      userId,
      channel: NotificationChannel.EMAIL,
      to: `${userId}@example.com`,
      body: 'kept',
      status: NotificationStatus.SENT,
    });

  it("deletes the account's notifications, and again what a send in flight records after, for two hours", async () => {
    const forgottenAt = new Date('2026-12-06T10:59:00Z');
    await record('n-forget-1', 'u-forget');
    await record('n-forget-2', 'u-forget');
    await record('n-keep', 'u-stays');
    expect(await notifications.forgetUser('u-forget', forgottenAt)).toBe(2);
    expect(await contacts.contactOf('u-forget')).toBe('deleted');
    expect(await notifications.forgetUser('u-forget', forgottenAt)).toBe(0);
    expect(await ForgottenAccountModel.findById('u-forget').lean()).toMatchObject({ forgottenAt });

    // A send that had its address before the deletion records its notification after it.
    await record('n-late', 'u-forget');
    expect(await notifications.forgetRecentAgain(new Date('2026-12-06T11:04:00Z'))).toBe(1);
    expect(await NotificationModel.countDocuments({ userId: 'u-forget' })).toBe(0);
    expect(await NotificationModel.countDocuments({ userId: 'u-stays' })).toBe(1);
    // Past the hour after its own, a forgotten account is no longer read by the pass.
    await record('n-much-later', 'u-forget');
    expect(await notifications.forgetRecentAgain(new Date('2026-12-06T12:01:00Z'))).toBe(0);
  });
});
