import { EventBus, retryPolicyFrom } from '@shop/events';
import * as platform from '@shop/platform';
import { notificationsConfig } from './config.js';
import { UsersContactDirectory } from './contact/contact.directory.js';
import { DeliveryService } from './delivery/delivery.service.js';
import { createEmailTransport } from './delivery/email.transport.js';
import { LogSmsProvider } from './delivery/sms.provider.js';
import { subscribeToDeliveries, subscribeToEvents } from './events.js';
import { NotificationService } from './notification/notification.service.js';
import { notificationsSubgraph } from './schema.js';

const config = platform.loadConfig(notificationsConfig);
const log = platform.createLogger('notifications', config);
const email = createEmailTransport(config, log);
const mongo = await platform.connectMongo(config, 'notifications', log);
const { AMQP_URL: url, AMQP_EXCHANGE: exchange, AMQP_EXCHANGE_PROVISIONED: exchangeProvisioned } = config;
const bus = new EventBus({
  url,
  exchange,
  exchangeProvisioned,
  log,
  connectionName: 'notifications',
  retry: retryPolicyFrom(config),
});
const tokens = platform.createTokenService(config);
// No outbox to sweep: the decider publishes send requests before its ack (NotificationService.handle).
const relay = new platform.OutboxRelay([], bus, log);
const notifications = new NotificationService(new UsersContactDirectory(config.USERS_URL, tokens), relay);
await subscribeToEvents(bus, notifications);
await subscribeToDeliveries(bus, new DeliveryService(email, new LogSmsProvider(log)));
const server = await platform.startSubgraph({
  definition: notificationsSubgraph,
  config,
  port: config.NOTIFICATIONS_PORT,
  services: { notifications },
  tokens,
  revocation: platform.subgraphRevocation(config, tokens, 'notifications'),
  log,
  readiness: [mongo.readiness, bus.readiness],
});
platform.onShutdown(log, [
  [server.close, () => bus.stopConsuming()],
  () => relay.stop(),
  () => bus.close(),
  () => email.close(),
  mongo.close,
]);
