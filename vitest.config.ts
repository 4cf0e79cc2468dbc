import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    conditions: ['source'],
    // One graphql instance, as under Node: vite would pick graphql's ESM build for workspace
    // sources while type-graphql and Apollo load its CommonJS build, and instanceof checks
    // (e.g. the Decimal scalar in buildSchema) then fail.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    reporters: ['default', './tests/summary.reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'services',
          include: [
            '{packages,events,subgraphs,gateway}/**/src/**/*.test.ts',
            'scripts/**/*.test.ts',
            'tests/*.test.ts',
            // The gateway composed with subgraph code in one process: across packages, so outside all of them.
            'tests/cross-service/**/*.test.ts',
          ],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          // Real processes against private PostgreSQL/RabbitMQ instances that the tests stop and start;
          // the Helm chart's checks (deploy/helm, `pnpm helm:check`), which build Helm the first time.
          name: 'ops',
          include: ['tests/ops/**/*.test.ts', 'deploy/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // The Guild's federation-gateway-audit against our gateway (real processes, one per suite).
          name: 'federation-audit',
          include: ['tests/federation-audit/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 660_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // The black-box contract suite (tests/contract) runs against the same stack: one stack per vhost.
          include: ['tests/e2e/**/*.test.ts', 'tests/contract/**/*.test.ts'],
          globalSetup: ['tests/e2e/stack.setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
