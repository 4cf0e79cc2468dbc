import { EventBus, notificationEmail, workQueueName } from '@shop/events';
import { SHUTDOWN_TIMEOUT_MS } from '@shop/platform/core';
import { eventually, freePort, silentLogger } from '@shop/platform/testing';
import amqplib from 'amqplib';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestSmtpServer,
  type TestSmtpServer,
} from '../../subgraphs/notifications/src/delivery/smtp.test-server.js';
import { JWT_SECRET, PrivateRabbit, readiness, ServiceProcess } from './private-services.js';

// A notifications process is in the middle of sending an email (the SMTP server holds its answer)
// when SIGTERM arrives. It must stop taking deliveries at once, finish that send and ack it, and
// exit 0; what was published meanwhile waits in the queue for the next replica.

const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const EXCHANGE = 'ops.events';
const EMAIL_QUEUE = 'notifications.email-sender';
const prefix = `ops_drain_${process.pid}`;
const rabbit = new PrivateRabbit();
let smtp: TestSmtpServer;
let publisher: EventBus;
let notificationsDb: mongoose.Connection;
const processes: ServiceProcess[] = [];

async function startNotifications(label: string): Promise<ServiceProcess> {
  const port = await freePort();
  const notifications = new ServiceProcess(
    'subgraphs/notifications',
    {
      JWT_SECRET,
      NOTIFICATIONS_PORT: String(port),
      MONGO_URL,
      MONGO_DB_PREFIX: prefix,
      AMQP_URL: rabbit.url,
      AMQP_EXCHANGE: EXCHANGE,
      SMTP_URL: smtp.url,
      // Email requests carry their address: the users subgraph is never asked.
      USERS_URL: 'http://127.0.0.1:9/graphql',
    },
    label,
  );
  processes.push(notifications);
  await eventually(async () => (await readiness(port)).status === 200, 60_000, 'notifications ready');
  await eventually(async () => (await emailQueue()).consumerCount === 1, 10_000, 'email consumer attached');
  return notifications;
}

/** The email sender's queue as the broker sees it: messages ready for delivery, and consumers. */
async function emailQueue(): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await amqplib.connect(rabbit.url);
  try {
    const channel = await connection.createChannel();
    // A queue not declared yet closes the channel (404): the call rejects, the event needs a listener.
    channel.on('error', () => {});
    return await channel.checkQueue(workQueueName(EMAIL_QUEUE));
  } finally {
    await connection.close();
  }
}

/** A held gate: the SMTP server answers the message only once the test opens it. */
function holdNextEmail() {
  let open = () => {};
  let arrived = false;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  smtp.gate = () => {
    arrived = true;
    return opened;
  };
  return { open, arrived: () => arrived };
}

async function requestEmail(subject: string) {
  const event = notificationEmail.create({ userId: 'u-ops', to: 'ops@example.com', subject, body: `${subject} body` });
  const { routed } = await publisher.publish(event);
  expect(routed).toBe(true);
  return event;
}

const notificationStatus = async (id: string) =>
  (await notificationsDb.collection<{ _id: string; status: string }>('notifications').findOne({ _id: id }))?.status;
const receivedIds = () => smtp.received.map((email) => email.messageId);
const messageIdOf = (eventId: string) => `<${eventId}@shop.notifications>`;

beforeAll(async () => {
  [smtp] = await Promise.all([startTestSmtpServer(), rabbit.init()]);
  publisher = new EventBus({ url: rabbit.url, exchange: EXCHANGE, log: silentLogger, connectionName: 'ops-test' });
  notificationsDb = await mongoose.createConnection(MONGO_URL, { dbName: `${prefix}_notifications` }).asPromise();
}, 120_000);
afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  smtp.gate = undefined;
  await publisher?.close();
  await smtp?.close();
  await rabbit.destroy();
  await notificationsDb?.dropDatabase();
  await notificationsDb?.close();
}, 60_000);

describe('SIGTERM with a message in flight', () => {
  let waiting: { id: string };

  it('stops taking deliveries, finishes and acks the message in hand, and exits 0', async () => {
    const notifications = await startNotifications('draining');
    const gate = holdNextEmail();
    const inFlight = await requestEmail('in flight');
    await eventually(async () => gate.arrived(), 10_000, 'the email reached the SMTP server');

    const signalled = Date.now();
    notifications.child.kill('SIGTERM');
    // The consumers are cancelled at once, while the handler still waits for the SMTP server. (A quorum
    // queue goes on counting a cancelled consumer until its unacked message is settled: the log tells.)
    await eventually(async () => notifications.logs().includes('consumers cancelled'), 5_000, 'consumers cancelled');
    expect(notifications.child.exitCode).toBeNull();
    waiting = await requestEmail('published during shutdown');
    expect(notifications.child.exitCode).toBeNull();

    gate.open();
    const held = Date.now() - signalled;
    await notifications.exited();
    const took = Date.now() - signalled;
    expect(notifications.child.exitCode).toBe(0);
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

    // Done exactly once: sent once, recorded SENT, acked (not back in the queue).
    expect(receivedIds()).toEqual([messageIdOf(inFlight.id)]);
    expect(await notificationStatus(inFlight.id)).toBe('SENT');
    // The later request was never delivered to the stopping process: it waits, alone, in the queue.
    expect(await emailQueue()).toEqual(expect.objectContaining({ messageCount: 1, consumerCount: 0 }));
    expect(await notificationStatus(waiting.id)).toBeUndefined();
    console.info(`notifications: exited 0 ${took} ms after SIGTERM, its email send held for ${held} ms of that`);
  }, 120_000);

  it('leaves what it did not take to the next replica, which handles it once', async () => {
    const next = await startNotifications('next');
    await eventually(async () => (await notificationStatus(waiting.id)) === 'SENT', 15_000, 'next replica sent it');
    expect(receivedIds().filter((id) => id === messageIdOf(waiting.id))).toHaveLength(1);
    expect(receivedIds()).toHaveLength(2);
    await eventually(async () => (await emailQueue()).messageCount === 0, 5_000, 'queue empty');

    // A handler that outlives the drain bound: the process still exits 0 in time, and the message,
    // never acked, goes back to the queue for redelivery instead of being lost.
    const gate = holdNextEmail();
    const stuck = await requestEmail('stuck');
    await eventually(async () => gate.arrived(), 10_000, 'the email reached the SMTP server');
    const signalled = Date.now();
    next.child.kill('SIGTERM');
    await next.exited();
    const took = Date.now() - signalled;
    expect(next.child.exitCode).toBe(0);
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(next.logs()).toContain('their messages will be redelivered');
    expect(await emailQueue()).toEqual(expect.objectContaining({ messageCount: 1, consumerCount: 0 }));
    expect(await notificationStatus(stuck.id)).not.toBe('SENT');
    expect(receivedIds()).not.toContain(messageIdOf(stuck.id));
    gate.open();
    console.info(`notifications: exited 0 ${took} ms after SIGTERM, its stuck message requeued`);
  }, 120_000);
});
