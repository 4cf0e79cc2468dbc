import { notificationEmail, notificationSms, paymentSucceeded, RejectedEventError } from '@shop/events';
import { dependencyOutage } from '@shop/platform/core';
import { ClaimBusyError, effectClaimModel, mongoUnavailable } from '@shop/platform/mongo';
import { connectTestMongo, freePort, recordQueryShapes } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsersContactDirectory } from '../contact/contact.directory.js';
import { TestContactDirectory } from '../contact/contact.test-directory.js';
import { NotificationModel } from '../notification/notification.model.js';
import { NotificationService } from '../notification/notification.service.js';
import { RecordingOutbox } from '../notification/notification.test-outbox.js';
import { CONFIDENTIAL_BODY, DeliveryService, SEND_CLAIM_TIMEOUT_MS } from './delivery.service.js';
import { MailServerUnavailableError, SmtpEmailTransport } from './email.transport.js';
import { NO_SMS_GATEWAY, NoSmsGateway, type SendOutcome, type SmsProvider } from './sms.provider.js';
import { startTestSmtpServer, type TestSmtpServer } from './smtp.test-server.js';

/** What the notifications process tells its event bus is an outage, to wait out (runSubgraph). */
const isOutage = dependencyOutage(mongoUnavailable);

/** A provider that keeps what it is given (the interface's contract, nothing mocked below it). */
class RecordingSmsProvider implements SmsProvider {
  readonly sent: { to: string; body: string; reference: string }[] = [];
  async send(to: string, body: string, reference: string): Promise<SendOutcome> {
    this.sent.push({ to, body, reference });
    return { sentAs: `sms-${this.sent.length}` };
  }
}

let db: { drop: () => Promise<void> };
let smtp: TestSmtpServer;
let transport: SmtpEmailTransport;
const sms = new RecordingSmsProvider();
let delivery: DeliveryService;
const outbox = new RecordingOutbox();
const notifications = new NotificationService(
  new TestContactDirectory()
    .add('u-ada', { email: 'ada@example.com', phone: '+15550100' })
    .add('u-leaving', { email: 'leaving@example.com', phone: '+15550199' })
    .add('u-gone', { email: 'gone@example.com', phone: '+15550198' })
    .add('u-evicted', { email: 'evicted@example.com', phone: '+15550197' }),
  outbox,
);

beforeAll(async () => {
  db = await connectTestMongo('notifications');
  smtp = await startTestSmtpServer();
  transport = new SmtpEmailTransport(smtp.url, 'Shop <no-reply@shop.test>');
  delivery = new DeliveryService(transport, sms);
});
afterAll(async () => {
  transport.close();
  await smtp.close();
  await db.drop();
});

/** The send requests a payment receipt decided, as the decider publishes them. */
async function receiptRequests(orderId: string, userId = 'u-ada') {
  const event = paymentSucceeded.create({
    orderId,
    userId,
    paymentId: 'p',
    amount: '9.99',
    transactionId: 't',
  });
  await notifications.handle(event);
  return {
    email: notificationEmail.schema.parse(outbox.requestOf(`${event.id}:payment-receipt`)),
    sms: notificationSms.schema.parse(outbox.requestOf(`${event.id}:payment-receipt-sms`)),
  };
}

/** Delivers an order's receipt email and SMS, and expects neither sent nor recorded. */
async function expectDroppedUnsent(
  sender: DeliveryService,
  orderId: string,
  { email, sms: text }: Awaited<ReturnType<typeof receiptRequests>>,
) {
  await sender.deliverEmail(email);
  await sender.deliverSms(text);
  expect(smtp.received.filter((mail) => mail.subject === `Payment receipt for order ${orderId}`)).toEqual([]);
  expect(sms.sent.filter((message) => message.reference === text.data.notificationId)).toEqual([]);
  expect(await NotificationModel.findById(email.data.notificationId).lean()).toBeNull();
  expect(await NotificationModel.findById(text.data.notificationId).lean()).toBeNull();
}

/** An email carrying a link that expires `inMs` from now (before now when negative), as users asks for one. */
const linkEmail = (subject: string, inMs: number) =>
  notificationEmail.create({
    userId: 'u-ada',
    to: 'ada@example.com',
    subject,
    body: 'Open https://shop.example/reset-password#token=t',
    confidential: true,
    sendBy: new Date(Date.now() + inMs).toISOString(),
  });
/** The same request, come after its `sendBy`. */
const comeLate = (request: ReturnType<typeof linkEmail>) => ({
  ...request,
  data: { ...request.data, sendBy: new Date(Date.now() - 1_000).toISOString() },
});

describe('DeliveryService', () => {
  it('sends the email over SMTP once, and records it SENT with its Message-ID', async () => {
    const { email } = await receiptRequests('o-mail');
    await delivery.deliverEmail(email);
    await delivery.deliverEmail(email); // a redelivery
    const received = smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-mail');
    expect(received).toEqual([
      {
        messageId: `<${email.data.notificationId}@shop.notifications>`,
        to: 'ada@example.com',
        subject: 'Payment receipt for order o-mail',
        text: 'We received your payment of 9.99 for order o-mail. Transaction: t.',
      },
    ]);
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({
      status: 'SENT',
      attempts: 1,
      sentAt: expect.any(Date),
      providerMessageId: `<${email.data.notificationId}@shop.notifications>`,
    });
  });

  it('records a refused email as FAILED and throws, then sends it on the next try', async () => {
    const { email } = await receiptRequests('o-refused');
    smtp.refuse = true;
    try {
      await expect(delivery.deliverEmail(email)).rejects.toThrow();
    } finally {
      smtp.refuse = false;
    }
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      lastError: expect.stringContaining('try again later'),
    });
    await delivery.deliverEmail(email);
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-refused')).toHaveLength(1);
  });

  it('drops a retried send unsent once its account was deleted, and records nothing', async () => {
    const { email } = await receiptRequests('o-forgotten', 'u-leaving');
    smtp.refuse = true;
    try {
      await expect(delivery.deliverEmail(email)).rejects.toThrow();
    } finally {
      smtp.refuse = false;
    }
    await notifications.forgetUser('u-leaving');
    // The retry (or a replay from the dead-letter queue) finds the account forgotten.
    await delivery.deliverEmail(email);
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toBeNull();
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-forgotten')).toEqual([]);
  });

  it('drops a first send unsent for an account this process heard was deleted, and records nothing', async () => {
    const { email, sms: text } = await receiptRequests('o-heard-deleted', 'u-ada');
    // Decided just before the deletion reached this replica (notifications.deleted-accounts).
    const replica = new DeliveryService(transport, sms, {
      heardDeleted: (userId) => userId === 'u-ada',
      hearingSince: () => 0,
    });
    await expectDroppedUnsent(replica, 'o-heard-deleted', { email, sms: text });
  });

  it('drops a first send unsent for an account deleted before it came, though this process never heard it (a restart, a backlog, a replay)', async () => {
    const { email, sms: text } = await receiptRequests('o-forgotten-first', 'u-gone');
    await notifications.forgetUser('u-gone');
    await expectDroppedUnsent(delivery, 'o-forgotten-first', { email, sms: text });
  });

  it('drops a first send unsent for an account whose deletion it heard, though other marks have made room since', async () => {
    const { email, sms: text } = await receiptRequests('o-mark-evicted', 'u-evicted');
    await notifications.forgetUser('u-evicted');
    const directory = new UsersContactDirectory(
      'http://127.0.0.1:9/graphql',
      { serviceAuthorization: async () => 'Bearer unused' },
      { contacts: 10, deletionMarks: 1 },
    );
    directory.hearing(Date.parse(email.occurredAt) - 60_000);
    directory.markDeleted('u-evicted');
    directory.markDeleted('u-someone-else'); // room for it: u-evicted's mark goes
    expect(directory.heardDeleted('u-evicted')).toBe(false);
    await expectDroppedUnsent(new DeliveryService(transport, sms, directory), 'o-mark-evicted', { email, sms: text });
  });

  it('trusts what it heard for a request decided after it started hearing deletions: no read of the account mark', async () => {
    const { email } = await receiptRequests('o-heard-since', 'u-ada');
    const hearing = new DeliveryService(transport, sms, {
      heardDeleted: () => false,
      hearingSince: () => Date.parse(email.occurredAt) - 60_000,
    });
    const recorder = recordQueryShapes();
    try {
      await hearing.deliverEmail(email);
    } finally {
      recorder.stop();
    }
    expect(recorder.shapes().map((shape) => shape.collection)).not.toContain('forgotten_accounts');
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-heard-since')).toHaveLength(1);
  });

  it('parks an email the server refuses for good (5xx) at once, recorded FAILED with why', async () => {
    const { email } = await receiptRequests('o-unknown-mailbox');
    smtp.refuse = true;
    smtp.refusalCode = 550;
    try {
      const refused = await delivery.deliverEmail(email).catch((error: unknown) => error);
      // A rejection: the event bus parks it in the dead-letter queue, with this reason, instead of retrying.
      expect(refused).toBeInstanceOf(RejectedEventError);
      expect((refused as RejectedEventError).reason).toMatch(/^undeliverable: SMTP 550/);
      expect(isOutage(refused)).toBe(false);
    } finally {
      smtp.refuse = false;
      smtp.refusalCode = 451;
    }
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({
      status: 'FAILED',
      lastError: expect.stringContaining('no such mailbox'),
    });
  });

  it('records and logs a refused recipient without the address the server quotes', async () => {
    const { email } = await receiptRequests('o-refused-recipient');
    smtp.refuseRecipients = true;
    try {
      const refused = await delivery.deliverEmail(email).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RejectedEventError);
      expect((refused as RejectedEventError).reason).toMatch(/^undeliverable: SMTP 550/);
      expect((refused as RejectedEventError).reason).not.toContain('ada@example.com');
    } finally {
      smtp.refuseRecipients = false;
    }
    const record = await NotificationModel.findById(email.data.notificationId).lean();
    expect(record).toMatchObject({ status: 'FAILED', lastError: expect.stringContaining('no such mailbox') });
    expect(record?.lastError).not.toContain('ada@example.com');
  });

  it("retries, rather than parks, an email when the server refuses the shop's own login (535)", async () => {
    const { email } = await receiptRequests('o-refused-login');
    const withLogin = new SmtpEmailTransport(
      smtp.url.replace('smtp://', 'smtp://shop:rotated@'),
      'Shop <no-reply@shop.test>',
    );
    const delivering = new DeliveryService(withLogin, sms);
    try {
      smtp.refuseLogins = true;
      const failed = await delivering.deliverEmail(email).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(Error);
      expect(failed).not.toBeInstanceOf(RejectedEventError);
      expect((failed as { responseCode?: number }).responseCode).toBe(535);
      // The server answered: an ordinary failure, which spends one of the send's attempts.
      expect(isOutage(failed)).toBe(false);
      expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({ status: 'FAILED' });
      // The retry, once the login works again, sends it.
      smtp.refuseLogins = false;
      await delivering.deliverEmail(email);
      expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({ status: 'SENT' });
    } finally {
      smtp.refuseLogins = false;
      withLogin.close();
    }
  });

  it('gives up on an SMTP server that does not answer within its timeout', async () => {
    const { email } = await receiptRequests('o-silent-server');
    const impatient = new SmtpEmailTransport(smtp.url, 'Shop <no-reply@shop.test>', {
      connectionTimeout: 1_000,
      greetingTimeout: 1_000,
      socketTimeout: 300,
    });
    let answer = () => {};
    smtp.gate = () => new Promise<void>((resolve) => (answer = resolve));
    try {
      const started = Date.now();
      const failed = await new DeliveryService(impatient, sms).deliverEmail(email).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(MailServerUnavailableError);
      expect(String(failed)).toMatch(/timeout/i);
      expect(Date.now() - started).toBeLessThan(SEND_CLAIM_TIMEOUT_MS);
      // Waited out by the event bus, not parked after the send's attempts.
      expect(isOutage(failed)).toBe(true);
    } finally {
      smtp.gate = undefined;
      answer();
      impatient.close();
    }
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({ status: 'FAILED' });
  });

  it('leaves a late copy of an email being sent to the sender holding it: busy, then SENT, never SKIPPED', async () => {
    const request = linkEmail('Sending while a late copy comes', 60_000);
    const lateCopy = comeLate(request);
    let answer = () => {};
    smtp.gate = () => new Promise<void>((resolve) => (answer = resolve));
    const sending = delivery.deliverEmail(request);
    try {
      await vi.waitFor(async () => expect(await effectClaimModel().exists({ key: `send:${request.id}` })).toBeTruthy());
      await expect(delivery.deliverEmail(lateCopy)).rejects.toBeInstanceOf(ClaimBusyError);
    } finally {
      smtp.gate = undefined;
      answer();
    }
    await sending;
    await delivery.deliverEmail(lateCopy); // its retry finds it sent
    expect(smtp.received.filter((mail) => mail.subject === 'Sending while a late copy comes')).toHaveLength(1);
    expect(await NotificationModel.findById(request.id).lean()).toMatchObject({ status: 'SENT' });
  });

  it('takes a mail server that refuses connections for an outage to wait out, and records the try FAILED', async () => {
    const { email } = await receiptRequests('o-refusing-server');
    const nowhere = new SmtpEmailTransport(`smtp://127.0.0.1:${await freePort()}`, 'Shop <no-reply@shop.test>');
    try {
      const failed = await new DeliveryService(nowhere, sms).deliverEmail(email).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(MailServerUnavailableError);
      expect(String(failed)).toContain('ECONNREFUSED');
      expect(isOutage(failed)).toBe(true);
    } finally {
      nowhere.close();
    }
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({
      status: 'FAILED',
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('takes a server closing the session (421) for an outage, and a temporary refusal (451) for an ordinary failure', async () => {
    const { email } = await receiptRequests('o-closing-server');
    smtp.refuse = true;
    try {
      smtp.refusalCode = 421;
      const closing = await delivery.deliverEmail(email).catch((error: unknown) => error);
      expect(closing).toBeInstanceOf(MailServerUnavailableError);
      expect(isOutage(closing)).toBe(true);
      smtp.refusalCode = 451;
      const later = await delivery.deliverEmail(email).catch((error: unknown) => error);
      expect((later as { responseCode?: number }).responseCode).toBe(451);
      expect(isOutage(later)).toBe(false);
    } finally {
      smtp.refuse = false;
      smtp.refusalCode = 451;
    }
  });

  it('keeps SENT when a send that outlived its claim fails after another sender took it over', async () => {
    const { email } = await receiptRequests('o-outlived');
    const key = `send:${email.data.notificationId}`;
    // The first sender's SMTP server holds its message; the later ones pass.
    let answerFirst = () => {};
    let held = false;
    smtp.gate = () => {
      if (held) return Promise.resolve();
      held = true;
      return new Promise<void>((resolve) => (answerFirst = resolve));
    };
    const first = delivery.deliverEmail(email);
    try {
      await vi.waitFor(() => expect(held).toBe(true));
      // Its claim outlives the timeout: another replica takes the send over and sends.
      await effectClaimModel().updateOne(
        { _id: `${key}#0` },
        { $set: { claimedAt: new Date(Date.now() - 3_600_000) } },
      );
      await new DeliveryService(transport, sms).deliverEmail(email);
      expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({ status: 'SENT' });
      // Then the first send fails late.
      smtp.refuse = true;
      answerFirst();
      await expect(first).rejects.toThrow('try again later');
    } finally {
      smtp.refuse = false;
      smtp.gate = undefined;
    }
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({ status: 'SENT' });
    // The bus retries the first sender's message: it finds the notification SENT and sends nothing.
    await delivery.deliverEmail(email);
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-outlived')).toHaveLength(1);
  });

  it('sends an SMS through the provider once', async () => {
    const { sms: request } = await receiptRequests('o-sms');
    await delivery.deliverSms(request);
    await delivery.deliverSms(request);
    expect(sms.sent.filter((message) => message.reference === request.data.notificationId)).toEqual([
      {
        to: '+15550100',
        body: 'Shop: payment of 9.99 for order o-sms received.',
        reference: request.data.notificationId,
      },
    ]);
    expect(await NotificationModel.findById(request.data.notificationId).lean()).toMatchObject({
      status: 'SENT',
      providerMessageId: expect.stringMatching(/^sms-/),
    });
  });

  it('records an SMS SKIPPED, with why, where no SMS gateway is configured: never SENT, never retried', async () => {
    const { sms: request } = await receiptRequests('o-no-gateway');
    const production = new DeliveryService(transport, new NoSmsGateway());
    await production.deliverSms(request);
    await production.deliverSms(request); // a redelivery changes nothing
    const record = await NotificationModel.findById(request.data.notificationId).lean();
    expect(record).toMatchObject({ channel: 'SMS', status: 'SKIPPED', lastError: NO_SMS_GATEWAY });
    expect(record).not.toHaveProperty('sentAt');
    expect(record).not.toHaveProperty('providerMessageId');
  });

  it("records and sends another service's request, keyed by its event id", async () => {
    const request = notificationEmail.create({
      userId: 'u-ada',
      to: 'ada@example.com',
      subject: 'Welcome',
      body: 'Hi',
    });
    await delivery.deliverEmail(request);
    await delivery.deliverEmail(request);
    expect(smtp.received.filter((mail) => mail.subject === 'Welcome')).toHaveLength(1);
    expect(await NotificationModel.findById(request.id).lean()).toMatchObject({
      userId: 'u-ada',
      channel: 'EMAIL',
      eventType: 'notification.email',
      status: 'SENT',
    });
  });

  it('sends a confidential email as asked and keeps its body off the notification record', async () => {
    const link = 'https://shop.example/reset-password#token=one-time-secret';
    const request = notificationEmail.create({
      userId: 'u-ada',
      to: 'ada@example.com',
      subject: 'Reset your password',
      body: `Open ${link}`,
      confidential: true,
    });
    await delivery.deliverEmail(request);
    expect(smtp.received.find((mail) => mail.subject === 'Reset your password')?.text).toBe(`Open ${link}`);
    const record = await NotificationModel.findById(request.id).lean();
    expect(record).toMatchObject({ status: 'SENT', body: CONFIDENTIAL_BODY, subject: 'Reset your password' });
    expect(JSON.stringify(record)).not.toContain('one-time-secret');
  });

  it('records an email that comes after its sendBy (its link expired) SKIPPED and sends nothing; one in time is sent', async () => {
    const late = linkEmail('Late reset link', -1_000);
    await delivery.deliverEmail(late);
    await delivery.deliverEmail(late); // a redelivery
    expect(smtp.received.filter((mail) => mail.subject === 'Late reset link')).toEqual([]);
    expect(await NotificationModel.findById(late.id).lean()).toMatchObject({
      status: 'SKIPPED',
      attempts: 0,
      lastError: `not sent: it came after ${late.data.sendBy}, when the link it carries expired`,
    });
    const inTime = linkEmail('Timely reset link', 60_000);
    await delivery.deliverEmail(inTime);
    expect(smtp.received.filter((mail) => mail.subject === 'Timely reset link')).toHaveLength(1);
    expect(await NotificationModel.findById(inTime.id).lean()).toMatchObject({ status: 'SENT' });
  });

  it('keeps SENT when a redelivery of a sent email comes after its sendBy', async () => {
    const request = linkEmail('Sent, then redelivered late', 60_000);
    await delivery.deliverEmail(request);
    await delivery.deliverEmail(comeLate(request));
    expect(smtp.received.filter((mail) => mail.subject === 'Sent, then redelivered late')).toHaveLength(1);
    expect(await NotificationModel.findById(request.id).lean()).toMatchObject({ status: 'SENT' });
  });

  it('sends once when two consumers race on one message, the loser finding it claimed or already SENT', async () => {
    const { email, sms: text } = await receiptRequests('o-race');
    // Two replicas' senders (each with its own provider connection) handle the same message at once.
    const other = new DeliveryService(transport, sms);
    const outcomes = await Promise.allSettled([
      delivery.deliverEmail(email),
      other.deliverEmail(email),
      delivery.deliverSms(text),
      other.deliverSms(text),
    ]);
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-race')).toHaveLength(1);
    expect(sms.sent.filter((message) => message.reference === text.data.notificationId)).toHaveLength(1);
    // A loser that finds the send claimed and not yet SENT fails (the bus retries it); one that
    // comes after the winner's record returns. Either way it sent nothing, and a retry sends nothing.
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected.every((outcome) => outcome.reason instanceof ClaimBusyError)).toBe(true);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled').length).toBeGreaterThanOrEqual(2);
    await delivery.deliverEmail(email);
    await other.deliverSms(text);
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-race')).toHaveLength(1);
    expect(sms.sent.filter((message) => message.reference === text.data.notificationId)).toHaveLength(1);
    expect(await NotificationModel.findById(email.data.notificationId).lean()).toMatchObject({ status: 'SENT' });
  });

  it('leaves a live claim alone, and takes over one whose sender died (older than the timeout)', async () => {
    const { email } = await receiptRequests('o-stale');
    const key = `send:${email.data.notificationId}`;
    // Another sender claimed it a moment ago and is still sending: this delivery must not send.
    await effectClaimModel().create({ _id: `${key}#0`, key, generation: 0, claimedAt: new Date() });
    await expect(delivery.deliverEmail(email)).rejects.toThrow(ClaimBusyError);
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-stale')).toHaveLength(0);
    // That sender died: past the timeout the claim is taken over and the email goes out once.
    await effectClaimModel().updateOne({ _id: `${key}#0` }, { $set: { claimedAt: new Date(Date.now() - 3_600_000) } });
    await delivery.deliverEmail(email);
    await delivery.deliverEmail(email);
    expect(smtp.received.filter((mail) => mail.subject === 'Payment receipt for order o-stale')).toHaveLength(1);
  });
});
