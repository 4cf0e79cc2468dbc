import { type DestinationStream, type Logger, pino } from 'pino';
import { logContextMixin } from './log-context.js';

export type { Logger };

/** Secrets, at the top of a log object or up to two levels down (`variables.input.newPassword`…). */
const SECRETS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'refreshToken',
  'authorization',
];

/** Fields that must never reach a log line, wherever they appear. */
const REDACT = [...SECRETS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]), 'req.headers.authorization'];

/**
 * JSON lines, each with the current request's id (see log-context). `destination` defaults to
 * stdout, human-readable there (pino-pretty, a dev dependency) with LOG_PRETTY=true, or by default
 * on a terminal outside production.
 * Tests pass a destination to read what would have been logged.
 */
export function createLogger(
  service: string,
  options: { LOG_LEVEL: string; LOG_PRETTY?: boolean; NODE_ENV?: string },
  destination?: DestinationStream,
): Logger {
  const settings = {
    name: service,
    level: options.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service },
    mixin: logContextMixin,
  };
  if (destination) return pino(settings, destination);
  // Never by default in production: the image has no dev dependencies (and `docker run -t` is a TTY).
  if (options.LOG_PRETTY ?? (process.stdout.isTTY && options.NODE_ENV !== 'production')) {
    return pino(
      settings,
      pino.transport({ target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }),
    );
  }
  return pino(settings);
}
