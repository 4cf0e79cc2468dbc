import { connectMongo, createLogger, createTokenService, loadConfig, onShutdown, startSubgraph } from '@shop/platform';
import { usersConfig } from './config.js';
import { usersSubgraph } from './schema.js';
import { UserService } from './user/user.service.js';

const config = loadConfig(usersConfig);
const log = createLogger('users', config);
const mongo = await connectMongo(config, 'users', log);
const tokens = createTokenService(config);
const users = new UserService(tokens);
if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
  await users.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
  log.info({ email: config.ADMIN_EMAIL }, 'admin account ensured');
}
const server = await startSubgraph({
  definition: usersSubgraph,
  port: config.USERS_PORT,
  services: { users },
  tokens,
  log,
  readiness: [mongo.readiness],
});
onShutdown(log, [server.close, mongo.close]);
