// @shop/platform/subgraph: a type-graphql federated subgraph (its server, resolver guards, shared
// GraphQL types). Its one import side effect is the Reflect metadata polyfill that type-graphql's
// decorators read design-time types through: only subgraph processes load this entry, the gateway never.
import 'reflect-metadata';

export * from '../attempt-type.js';
export * from '../pagination.js';
export * from '../resolver-guards.js';
export * from '../status-enums.js';
export * from '../subgraph.js';
export * from '../subgraph-process.js';
