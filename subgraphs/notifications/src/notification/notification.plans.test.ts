import { notificationEmail, notificationSms, orderCreated, paymentSucceeded } from '@shop/events';
import {
  connectTestMongo,
  explainShapes,
  type PlanReport,
  type QueryShape,
  recordQueryShapes,
  testContext,
} from '@shop/platform/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContactDirectory } from '../contact/contact.test-directory.js';
import { DeliveryService } from '../delivery/delivery.service.js';
import { SmtpEmailTransport } from '../delivery/email.transport.js';
import type { SendOutcome, SmsProvider } from '../delivery/sms.provider.js';
import { startTestSmtpServer, type TestSmtpServer } from '../delivery/smtp.test-server.js';
import { NotificationService } from './notification.service.js';
import { RecordingOutbox } from './notification.test-outbox.js';

// Every filter the notifications service sends: deciding notifications from events, delivering
// email and SMS (with their effect claims), and the owner's listings, explained by the server.
class FixedSmsProvider implements SmsProvider {
  async send(): Promise<SendOutcome> {
    return { sentAs: 'sms-1' };
  }
}

const outbox = new RecordingOutbox();
const notifications = new NotificationService(
  new TestContactDirectory().add('u-ada', { email: 'ada@example.com', phone: '+15550100' }),
  outbox,
);
const as = (id: string) => testContext({ id, role: 'CUSTOMER' }, { notifications });
let db: { drop: () => Promise<void> };
let smtp: TestSmtpServer;
let transport: SmtpEmailTransport;
let report: PlanReport;

beforeAll(async () => {
  db = await connectTestMongo('notifications_plans');
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  smtp = await startTestSmtpServer();
  transport = new SmtpEmailTransport(smtp.url, 'Shop <no-reply@shop.test>');
  const delivery = new DeliveryService(transport, new FixedSmsProvider());
  const shapes: QueryShape[] = [];

  let recorder = recordQueryShapes();
  const receipt = paymentSucceeded.create({
    orderId: 'o-plans',
    userId: 'u-ada',
    paymentId: 'pay',
    amount: '19.99',
    transactionId: 'tx',
  });
  await notifications.handle(receipt);
  await notifications.handle(receipt);
  await notifications.handle(
    orderCreated.create({ orderId: 'o-plans', userId: 'u-ada', totalAmount: '1.00', items: [] }),
  );
  recorder.stop();
  shapes.push(...recorder.shapes());

  const email = notificationEmail.schema.parse(outbox.requestOf(`${receipt.id}:payment-receipt`));
  const text = notificationSms.schema.parse(outbox.requestOf(`${receipt.id}:payment-receipt-sms`));

  recorder = recordQueryShapes();
  await delivery.deliverEmail(email);
  await delivery.deliverEmail(email);
  await delivery.deliverSms(text);
  await notifications.forUser(as('u-ada'), 'u-ada');
  const page = await notifications.list(as('u-ada'), { first: 1 });
  await notifications.list(as('u-ada'), { first: 1, after: page.pageInfo.endCursor });
  recorder.stop();
  shapes.push(...recorder.shapes());
  report = await explainShapes([...new Map(shapes.map((shape) => [shape.key, shape])).values()]);
}, 120_000);
afterAll(async () => {
  transport?.close();
  await smtp?.close();
  await db?.drop();
});

describe('notifications: query plans (explain through the wire)', () => {
  it('serves every filter from an index: notifications and their effect claims', () => {
    expect(report.scanned).toEqual([]);
    expect(report.servedCollections).toEqual(expect.arrayContaining(['notifications', 'effect_claims']));
  });

  it('names what FerretDB 1.x cannot push down to PostgreSQL', () => {
    if (report.server !== 'ferretdb-postgresql') return;
    expect(report.notPushedDown).toEqual([]);
  });
});
