import type { TokenService } from '@shop/platform/core';
import type { OutboxWakeUp } from '@shop/platform/mongo';
import { z } from 'zod';
import { AccountDeletionService } from './account-deletion/account-deletion.service.js';
import { AuthService } from './auth/auth.service.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { RefreshTokenStore } from './auth/refresh-token.store.js';
import { usersConfig } from './config.js';
import { EmailVerificationService } from './email-verification/email-verification.service.js';
import { PasswordResetService } from './password-reset/password-reset.service.js';
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
  PASSWORD_RESET_URL: usersConfig.PASSWORD_RESET_URL,
  PASSWORD_RESET_TTL: usersConfig.PASSWORD_RESET_TTL,
  PASSWORD_RESET_LIMIT_PER_EMAIL: usersConfig.PASSWORD_RESET_LIMIT_PER_EMAIL,
  PASSWORD_RESET_LIMIT_PER_IP: usersConfig.PASSWORD_RESET_LIMIT_PER_IP,
  PASSWORD_RESET_WINDOW_SECONDS: usersConfig.PASSWORD_RESET_WINDOW_SECONDS,
  EMAIL_VERIFICATION_URL: usersConfig.EMAIL_VERIFICATION_URL,
  EMAIL_VERIFICATION_TTL: usersConfig.EMAIL_VERIFICATION_TTL,
});
export type UsersSettings = z.infer<typeof settingsSchema>;

/**
 * Wires the users subgraph's services: main.ts with its config and outbox relay, tests with the
 * defaults or their own (and their own clock for the login windows).
 */
export function createUsersServices(
  tokens: TokenService,
  settings: Partial<UsersSettings> = {},
  { now, outbox }: { now?: () => Date; outbox?: OutboxWakeUp } = {},
): UsersServices {
  // Defaults from the configuration's own rules; what is given was parsed already (main.ts hands over
  // its configuration) and is not parsed again: a duration read twice is taken as seconds the second time.
  const config: UsersSettings = { ...settingsSchema.parse({}), ...settings };
  const sessions = new RefreshTokenStore(config.REFRESH_TOKEN_TTL_SECONDS);
  const users = new UserService({
    endSessions: (userId, reason) => sessions.revokeAll(userId, reason),
    passwordResetUrl: config.PASSWORD_RESET_URL,
    emailVerification: config,
    outbox,
  });
  const throttle = new AuthThrottle(config, undefined, now);
  const auth = new AuthService(users, tokens, sessions, throttle);
  const passwordResets = new PasswordResetService(users, auth, throttle, config, outbox);
  const emailVerifications = new EmailVerificationService(users, auth, throttle);
  const accountDeletions = new AccountDeletionService(users, auth, passwordResets);
  return { users, auth, passwordResets, emailVerifications, accountDeletions };
}
