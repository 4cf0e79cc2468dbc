import {
  durationVar,
  millisecondsVar,
  mongoShape,
  portVar,
  registrationLimitShape,
  secondsVar,
  wholeNumber,
} from '@shop/platform/core';
import { tokenVersionShape } from '@shop/platform/http';
import { z } from 'zod';

/** A link's lifetime sets no timer (it is a date stored with the link): up to 30 days, as before. */
const LINK_TTL_MAX_MS = 30 * 86_400_000;

export const usersConfig = {
  ...mongoShape,
  ...tokenVersionShape,
  USERS_PORT: portVar(3001),
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** Refresh tokens slide: each rotation starts a new lifetime; unused for this long, the session ends. */
  REFRESH_TOKEN_TTL_SECONDS: secondsVar(14 * 86_400, 300, 90 * 86_400),
  /**
   * Failed logins allowed within LOGIN_WINDOW_SECONDS: for one email from one client address (then
   * that address is locked out of that account only), and from one address over all emails.
   */
  LOGIN_MAX_FAILURES_PER_EMAIL: wholeNumber(5, { max: 1_000 }),
  LOGIN_MAX_FAILURES_PER_IP: wholeNumber(50, { max: 100_000 }),
  LOGIN_WINDOW_SECONDS: secondsVar(900, 1, 86_400),
  /** Past this many failures of one email from all addresses, each of its logins waits (doubling, capped). */
  LOGIN_BACKOFF_AFTER_FAILURES: wholeNumber(10, { max: 100_000 }),
  LOGIN_BACKOFF_BASE_MS: millisecondsVar(250, 0, 60_000),
  LOGIN_BACKOFF_MAX_MS: millisecondsVar(4_000, 0, 60_000),
  /** The page a password reset email links to (your web app's), with `#token=…` appended. */
  PASSWORD_RESET_URL: z.string().url().default('http://localhost:3000/reset-password'),
  /** How long a password reset link works. */
  PASSWORD_RESET_TTL: durationVar('30m', 60_000, LINK_TTL_MAX_MS),
  /** Reset requests per email (whether or not it has an account) and per client address, in the window. */
  PASSWORD_RESET_LIMIT_PER_EMAIL: wholeNumber(3, { max: 1_000 }),
  PASSWORD_RESET_LIMIT_PER_IP: wholeNumber(20, { max: 100_000 }),
  PASSWORD_RESET_WINDOW_SECONDS: secondsVar(3_600, 1, 86_400),
  /** The page the email confirming a new account's address links to, with `#token=…` appended. */
  EMAIL_VERIFICATION_URL: z.string().url().default('http://localhost:3000/verify-email'),
  /** How long an address confirmation link works. */
  EMAIL_VERIFICATION_TTL: durationVar('3d', 60_000, LINK_TTL_MAX_MS),
  /** Counted here across replicas (the gateway counts the same per instance, before the call). */
  ...registrationLimitShape,
};
