import 'reflect-metadata';

export * from './auth.js';
export * from './config.js';
export * from './document-lock.js';
export * from './errors.js';
export * from './health.js';
export * from './logger.js';
export * from './money.js';
export * from './mongo.js';
export * from './mongo-page.js';
export * from './outbox.js';
export * from './pagination.js';
export * from './processed-events.js';
export * from './request-scope.js';
export * from './shutdown.js';
export * from './subgraph.js';
export * from './subgraph-client.js';
export * from './validation.js';
