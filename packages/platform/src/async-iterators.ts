// The gateway maps subscription event streams with @graphql-tools' mapAsyncIterator. It reaches it
// through platform, which depends on @graphql-tools/utils already: a direct dependency of the
// gateway on it made `pnpm deploy --config.node-linker=hoisted` (tests/ops/bundles.test.ts, the
// images) write a copy without its own dependencies into gateway/node_modules (pnpm 10.34).
export { mapAsyncIterator } from '@graphql-tools/utils';
