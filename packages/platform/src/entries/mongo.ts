// @shop/platform/mongo: the MongoDB-wire data layer (connection, paging, outbox, processed events,
// effect claims). Models are registered and metrics created when a process calls for them.
export * from '../effect-claims.js';
export * from '../ferretdb-adapter.js';
export * from '../mongo.js';
export * from '../mongo-commands.js';
export * from '../mongo-page.js';
export * from '../mongo-pool.js';
export * from '../outbox.js';
export * from '../outbox-backfill.js';
