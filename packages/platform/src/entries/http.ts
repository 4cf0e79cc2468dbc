// @shop/platform/http: HTTP and GraphQL-server pieces the gateway and the subgraphs share (GraphQL
// over HTTP, health, limits, client addresses, signed gateway headers, calls between services,
// token revocation).

export * from '../client-address.js';
export * from '../document-memo.js';
export * from '../gateway-signature.js';
export * from '../graphql-http.js';
export * from '../graphql-limits.js';
export * from '../health.js';
export * from '../request-deadline.js';
export * from '../subgraph-client.js';
export * from '../token-versions.js';
