import { type DestinationStream, type Logger, pino } from 'pino';

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

/** `destination` defaults to stdout; tests pass one to read what would have been logged. */
export function createLogger(service: string, options: { LOG_LEVEL: string }, destination?: DestinationStream): Logger {
  const settings = {
    name: service,
    level: options.LOG_LEVEL,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service },
  };
  return destination ? pino(settings, destination) : pino(settings);
}
