import type { TokenService } from '@shop/platform/core';
import { z } from 'zod';
import { AuthService } from './auth/auth.service.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { RefreshTokenStore } from './auth/refresh-token.store.js';
import { usersConfig } from './config.js';
import type { UsersServices } from './services.js';
import { UserService } from './user/user.service.js';

const settingsSchema = z.object({
  REFRESH_TOKEN_TTL_SECONDS: usersConfig.REFRESH_TOKEN_TTL_SECONDS,
  LOGIN_MAX_FAILURES_PER_EMAIL: usersConfig.LOGIN_MAX_FAILURES_PER_EMAIL,
  LOGIN_MAX_FAILURES_PER_IP: usersConfig.LOGIN_MAX_FAILURES_PER_IP,
  LOGIN_WINDOW_SECONDS: usersConfig.LOGIN_WINDOW_SECONDS,
  LOGIN_BACKOFF_AFTER_FAILURES: usersConfig.LOGIN_BACKOFF_AFTER_FAILURES,
  LOGIN_BACKOFF_BASE_MS: usersConfig.LOGIN_BACKOFF_BASE_MS,
  LOGIN_BACKOFF_MAX_MS: usersConfig.LOGIN_BACKOFF_MAX_MS,
  REGISTER_LIMIT_PER_IP: usersConfig.REGISTER_LIMIT_PER_IP,
  REGISTER_LIMIT_WINDOW_SECONDS: usersConfig.REGISTER_LIMIT_WINDOW_SECONDS,
});
export type UsersSettings = z.infer<typeof settingsSchema>;

/**
 * Wires the users subgraph's services: main.ts with its config, tests with the defaults or their own
 * (and their own clock for the login windows).
 */
export function createUsersServices(
  tokens: TokenService,
  settings: Partial<UsersSettings> = {},
  now?: () => Date,
): UsersServices {
  const config = settingsSchema.parse(settings);
  const sessions = new RefreshTokenStore(config.REFRESH_TOKEN_TTL_SECONDS);
  const users = new UserService((userId, reason) => sessions.revokeAll(userId, reason));
  const auth = new AuthService(users, tokens, sessions, new AuthThrottle(config, undefined, now));
  return { users, auth };
}
