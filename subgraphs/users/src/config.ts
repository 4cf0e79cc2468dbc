import { mongoShape, portVar } from '@shop/platform';
import { z } from 'zod';

const seconds = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

export const usersConfig = {
  ...mongoShape,
  USERS_PORT: portVar(3001),
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** Refresh tokens slide: each rotation starts a new lifetime; unused for this long, the session ends. */
  REFRESH_TOKEN_TTL_SECONDS: seconds(300, 90 * 86_400, 14 * 86_400),
  /** Failed logins allowed per email and per client address within LOGIN_WINDOW_SECONDS. */
  LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).max(1_000).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  LOGIN_WINDOW_SECONDS: seconds(1, 86_400, 900),
};
