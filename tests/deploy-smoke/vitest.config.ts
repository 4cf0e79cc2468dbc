// The tests of `pnpm deploy:smoke` (scripts/deploy-smoke.sh), against the stack it started in
// containers. DEPLOY_SMOKE_RUN=single (docker-compose.yml): the black-box contract tests that need
// only the published gateway and the first admin, plus what only a deployment shows (email over
// SMTP, a password reset link among it; the operator commands in the services' containers). DEPLOY_SMOKE_RUN=scaled (with compose.scale.yml): subscriptions across gateway replicas,
// and the order life cycle through the load balancer. Not part of `pnpm test` (no project of
// vitest.config.ts includes this folder); run it through the smoke script, which starts the stack.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNS: Record<string, string[]> = {
  single: [
    'tests/deploy-smoke/email-delivered.test.ts',
    'tests/deploy-smoke/operator-commands.test.ts',
    'tests/contract/order-life-cycle.test.ts',
    'tests/contract/subscriptions.test.ts',
    'tests/contract/payments.test.ts',
    'tests/contract/rest-shims.test.ts',
    'tests/contract/password-reset.test.ts',
  ],
  scaled: ['tests/deploy-smoke/gateway-replicas.test.ts', 'tests/contract/order-life-cycle.test.ts'],
};
const include = RUNS[process.env.DEPLOY_SMOKE_RUN ?? 'single'];
if (!include) throw new Error(`DEPLOY_SMOKE_RUN must be one of ${Object.keys(RUNS).join(', ')}`);

export default mergeConfig(
  { resolve: base.resolve, ssr: base.ssr },
  defineConfig({
    root,
    test: {
      name: 'deploy-smoke',
      include,
      globalSetup: ['tests/deploy-smoke/deployed-stack.setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  }),
);
