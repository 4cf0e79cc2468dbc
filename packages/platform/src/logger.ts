import { type Logger, pino } from 'pino';

export type { Logger };

/** Fields that must never reach a log line, wherever they appear. */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'variables.input.password',
];

export function createLogger(service: string, options: { LOG_LEVEL: string }): Logger {
  return pino({
    name: service,
    level: options.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service },
  });
}
