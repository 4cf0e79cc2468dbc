import { createTokenVersionCheck } from '@shop/platform/http';
import { connectMongo, OutboxRelay } from '@shop/platform/mongo';
import { runSubgraph } from '@shop/platform/subgraph';
import { ExpiredRecordsJob } from './auth/expired-records.job.js';
import { usersConfig } from './config.js';
import { createUsersServices } from './create-services.js';
import { PasswordResetModel } from './password-reset/password-reset.model.js';
import { usersSubgraph } from './schema.js';
import { ensureConfiguredAdmin } from './user/admin-bootstrap.js';
import { UserModel } from './user/user.model.js';

await runSubgraph({
  config: usersConfig,
  port: (config) => config.USERS_PORT,
  definition: usersSubgraph,
  database: (config, log) => connectMongo(config, 'users', log),
  events: true,
  wire: async ({ config, log, tokens, bus }) => {
    const relay = new OutboxRelay([PasswordResetModel, UserModel], bus, log);
    const services = createUsersServices(tokens, config, { outbox: relay });
    await ensureConfiguredAdmin(config, log);
    const expiring = [services.auth, services.passwordResets, services.emailVerifications];
    return { services, relay, jobs: [new ExpiredRecordsJob(expiring, log)] };
  },
  // The users subgraph is where token versions live: its own store answers.
  revocation: ({ config }, services) =>
    createTokenVersionCheck({
      load: (ids) => services.users.currentTokenVersions(ids),
      cacheMs: config.TOKEN_VERSION_CACHE_MS,
    }),
});
