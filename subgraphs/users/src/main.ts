import { createLogger, createTokenService, loadConfig, onShutdown } from '@shop/platform/core';
import { createTokenVersionCheck } from '@shop/platform/http';
import { connectMongo } from '@shop/platform/mongo';
import { startSubgraph } from '@shop/platform/subgraph';
import { ExpiredRecordsJob } from './auth/expired-records.job.js';
import { usersConfig } from './config.js';
import { createUsersServices } from './create-services.js';
import { usersSubgraph } from './schema.js';
import { AdminBootstrapError } from './user/user.service.js';

const config = loadConfig(usersConfig);
const log = createLogger('users', config);
const mongo = await connectMongo(config, 'users', log);
const tokens = createTokenService(config);
const services = createUsersServices(tokens, config);
if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
  const outcome = await services.users.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD).catch((error) => {
    if (!(error instanceof AdminBootstrapError)) throw error;
    log.fatal(error.message);
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
  log.info({ outcome }, 'admin account ensured');
}
const purge = new ExpiredRecordsJob(services.auth, log);
purge.start();
const server = await startSubgraph({
  definition: usersSubgraph,
  config,
  port: config.USERS_PORT,
  services,
  tokens,
  revocation: createTokenVersionCheck({
    load: (ids) => services.users.currentTokenVersions(ids),
    cacheMs: config.TOKEN_VERSION_CACHE_MS,
  }),
  log,
  readiness: [mongo.readiness],
});
onShutdown(log, [() => purge.stop(), server.close, mongo.close]);
