// The customer flow of `pnpm deploy:smoke` (scripts/deploy-smoke.sh), against the stack it started
// in containers: the black-box contract tests that need only the published gateway and the first
// admin, plus what only a deployment shows. Not part of `pnpm test` (no project of vitest.config.ts
// includes this folder); run it through the smoke script, which starts the stack first.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default mergeConfig(
  { resolve: base.resolve, ssr: base.ssr },
  defineConfig({
    root,
    test: {
      name: 'deploy-smoke',
      include: [
        'tests/deploy-smoke/**/*.test.ts',
        'tests/contract/order-life-cycle.test.ts',
        'tests/contract/subscriptions.test.ts',
        'tests/contract/payments.test.ts',
        'tests/contract/rest-shims.test.ts',
      ],
      globalSetup: ['tests/deploy-smoke/deployed-stack.setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  }),
);
