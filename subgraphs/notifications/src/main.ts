import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { runSubgraph } from '@shop/platform/subgraph';
import { notificationsConfig } from './config.js';
import { UsersContactDirectory } from './contact/contact.directory.js';
import { DeliveryService } from './delivery/delivery.service.js';
import { createEmailTransport } from './delivery/email.transport.js';
import { createSmsProvider } from './delivery/sms.provider.js';
import { subscribeToDeletedAccounts, subscribeToDeliveries, subscribeToEvents } from './events.js';
import { ForgetAgainJob } from './notification/forget-again.job.js';
import { NotificationService } from './notification/notification.service.js';
import { notificationsSubgraph } from './schema.js';

await runSubgraph({
  config: notificationsConfig,
  port: (config) => config.NOTIFICATIONS_PORT,
  definition: notificationsSubgraph,
  database: (config, log) => connectMongo(config, 'notifications', log),
  events: true,
  wire: async ({ config, log, tokens, bus }) => {
    const email = createEmailTransport(config, log);
    const sms = createSmsProvider(config, log);
    // No outbox to sweep: the decider publishes send requests before its ack (NotificationService.handle).
    const relay = new OutboxRelay([], bus, log);
    const contacts = new UsersContactDirectory(config.USERS_URL, tokens);
    const notifications = new NotificationService(contacts, relay);
    await subscribeToEvents(bus, notifications);
    await subscribeToDeletedAccounts(bus, contacts);
    const delivery = new DeliveryService(email, sms, contacts);
    await subscribeToDeliveries(bus, delivery);
    const jobs = [new ForgetAgainJob(notifications, log)];
    return { services: { notifications }, relay, jobs, close: [() => email.close()] };
  },
});
