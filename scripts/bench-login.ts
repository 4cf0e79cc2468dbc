// `pnpm tsx scripts/bench-login.ts [rounds]`: what a login costs, and whether a wrong password
// and an unknown email take the same time (no account enumeration by timing). Runs the users
// services in-process against MONGO_URL, in a throwaway database; prints medians and the ratio.
import { createTokenService } from '@shop/platform/core';
import { connectTestMongo, testContext } from '@shop/platform/testing';
import { createUsersServices } from '../subgraphs/users/src/create-services.js';

const rounds = Number(process.argv[2] ?? 40);
const tokens = createTokenService({
  JWT_SECRET: ['benchmark-secret-that-is-long-enough-for-hs256'],
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 600,
});
// Limits out of the way: this measures the password check, not the lockout.
const services = createUsersServices(tokens, {
  LOGIN_MAX_FAILURES_PER_EMAIL: 1_000,
  LOGIN_MAX_FAILURES_PER_IP: 100_000,
});
const ctx = testContext(null, services);
const db = await connectTestMongo('bench_login');

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run().catch(() => undefined);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const p90 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? 0;

try {
  const password = 'benchmark password';
  await services.auth.register(ctx, { email: 'bench@example.com', password, firstName: 'B', lastName: 'M' });
  const samples = { right: [] as number[], wrong: [] as number[], unknown: [] as number[] };
  // Interleaved, so drift in machine load hits every case alike.
  for (let i = 0; i < rounds; i++) {
    samples.wrong.push(
      await timed(() => services.auth.login(ctx, { email: 'bench@example.com', password: 'wrong one' })),
    );
    samples.unknown.push(await timed(() => services.auth.login(ctx, { email: `nobody${i}@example.com`, password })));
    samples.right.push(await timed(() => services.auth.login(ctx, { email: 'bench@example.com', password })));
  }
  for (const [name, values] of Object.entries(samples)) {
    console.log(
      `${name.padEnd(8)} median ${median(values).toFixed(1)} ms  p90 ${p90(values).toFixed(1)} ms  (n=${values.length})`,
    );
  }
  console.log(`unknown/wrong median ratio ${(median(samples.unknown) / median(samples.wrong)).toFixed(2)}`);
} finally {
  await db.drop();
}
process.exit(0);
