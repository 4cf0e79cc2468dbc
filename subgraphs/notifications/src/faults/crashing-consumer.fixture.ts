// A notifications decider that dies (SIGKILL) right after the effect of the first event it handles,
// its send requests published to the senders, before the message is acked. Run by
// event-faults.test.ts in its own process:
//   node --import tsx --conditions=source crashing-consumer.fixture.ts
// with AMQP_URL, AMQP_EXCHANGE (what it consumes), SEND_EXCHANGE (where the senders listen), QUEUE,
// MONGO_URL, MONGO_DB and CONTACT (userId=email).
import { EventBus } from '@shop/events';
import { OutboxRelay } from '@shop/platform/mongo';
import { silentLogger } from '@shop/platform/testing';
import mongoose from 'mongoose';
import { TestContactDirectory } from '../contact/contact.test-directory.js';
import { type DecidedEvent, subscribeToEvents } from '../events.js';
import { NotificationService } from '../notification/notification.service.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

class CrashingNotificationService extends NotificationService {
  override async handle(event: DecidedEvent): Promise<void> {
    await super.handle(event);
    process.kill(process.pid, 'SIGKILL');
  }
}

await mongoose.connect(env('MONGO_URL'), { dbName: env('MONGO_DB') });
const [userId = '', email = ''] = env('CONTACT').split('=');
const contacts = new TestContactDirectory().add(userId, { email });
const bus = new EventBus({
  url: env('AMQP_URL'),
  exchange: env('AMQP_EXCHANGE'),
  log: silentLogger,
  connectionName: 'crashing-consumer',
});
// Its send requests reach the senders (confirmed by the broker) before it dies: its successor
// decides again and publishes the same requests, which the senders must deliver once.
const senders = new EventBus({
  url: env('AMQP_URL'),
  exchange: env('SEND_EXCHANGE'),
  log: silentLogger,
  connectionName: 'crashing-consumer-requests',
});
const requests = new OutboxRelay([], senders, silentLogger);
await subscribeToEvents(bus, new CrashingNotificationService(contacts, requests), env('QUEUE'));
process.stdout.write('ready\n');
