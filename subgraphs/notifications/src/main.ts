import { EventBus } from '@shop/events';
import { connectMongo, createLogger, createTokenService, loadConfig, onShutdown, startSubgraph } from '@shop/platform';
import { notificationsConfig } from './config.js';
import { subscribeToEvents } from './events.js';
import { NotificationService } from './notification/notification.service.js';
import { notificationsSubgraph } from './schema.js';

const config = loadConfig(notificationsConfig);
const log = createLogger('notifications', config);
const mongo = await connectMongo(config, 'notifications', log);
const bus = new EventBus({
  url: config.AMQP_URL,
  exchange: config.AMQP_EXCHANGE,
  log,
  connectionName: 'notifications',
});
const notifications = new NotificationService();
await subscribeToEvents(bus, notifications);
const server = await startSubgraph({
  definition: notificationsSubgraph,
  port: config.NOTIFICATIONS_PORT,
  services: { notifications },
  tokens: createTokenService(config),
  log,
  readiness: [mongo.readiness, bus.readiness],
});
onShutdown(log, [server.close, () => bus.close(), mongo.close]);
