// @shop/platform/core: what every process needs (settings, logs, errors, tokens, money, shutdown).
// No import side effects, no database or GraphQL-schema library.
export * from '../auth.js';
export * from '../common-passwords.js';
export * from '../config.js';
export * from '../connection-failure.js';
export * from '../errors.js';
export * from '../hours.js';
export * from '../log-context.js';
export * from '../logger.js';
export * from '../money.js';
export * from '../outbox-metrics.js';
export * from '../periodic-job.js';
export * from '../relay-loop.js';
export * from '../request-scope.js';
export * from '../shutdown.js';
export * from '../time-limit.js';
export * from '../validation.js';
