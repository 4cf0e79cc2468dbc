import { EventBus, retryPolicyFrom } from '@shop/events';
import { createLogger, createTokenService, loadConfig, onShutdown } from '@shop/platform/core';
import { subgraphRevocation } from '@shop/platform/http';
import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { startSubgraph } from '@shop/platform/subgraph';
import { notificationsConfig } from './config.js';
import { UsersContactDirectory } from './contact/contact.directory.js';
import { DeliveryService } from './delivery/delivery.service.js';
import { createEmailTransport } from './delivery/email.transport.js';
import { LogSmsProvider } from './delivery/sms.provider.js';
import { subscribeToDeliveries, subscribeToEvents } from './events.js';
import { NotificationModel } from './notification/notification.model.js';
import { NotificationService } from './notification/notification.service.js';
import { notificationsSubgraph } from './schema.js';

const config = loadConfig(notificationsConfig);
const log = createLogger('notifications', config);
const email = createEmailTransport(config, log);
const mongo = await connectMongo(config, 'notifications', log);
const { AMQP_URL: url, AMQP_EXCHANGE: exchange, AMQP_EXCHANGE_PROVISIONED: exchangeProvisioned } = config;
const bus = new EventBus({
  url,
  exchange,
  exchangeProvisioned,
  log,
  connectionName: 'notifications',
  retry: retryPolicyFrom(config),
});
const tokens = createTokenService(config);
const relay = new OutboxRelay([NotificationModel], bus, log);
const notifications = new NotificationService(new UsersContactDirectory(config.USERS_URL, tokens), relay);
await subscribeToEvents(bus, notifications);
await subscribeToDeliveries(bus, new DeliveryService(email, new LogSmsProvider(log)));
relay.start();
const server = await startSubgraph({
  definition: notificationsSubgraph,
  config,
  port: config.NOTIFICATIONS_PORT,
  services: { notifications },
  tokens,
  revocation: subgraphRevocation(config, tokens, 'notifications'),
  log,
  readiness: [mongo.readiness, bus.readiness],
});
onShutdown(log, [
  [server.close, () => bus.stopConsuming()],
  () => relay.stop(),
  () => bus.close(),
  () => email.close(),
  mongo.close,
]);
