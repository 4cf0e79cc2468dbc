// `pnpm bench:password-reset [--rounds N]`
//
// What asking for a password reset link costs, and how much longer it takes for an address with an
// account (a link stored with its email: one insert more) than for one without (nothing stored):
// the difference a caller could time to learn whether an address has an account. The users
// services in-process against MONGO_URL, in a throwaway database, the two cases taking turns; each
// request from its own client address and email (the limits are per address and per email).
import { loadavg } from 'node:os';
import { connectTestMongo, createTestTokens, testContext } from '@shop/platform/testing';
import { createUsersServices } from '../subgraphs/users/src/create-services.js';
import { percentile } from './load.js';
import { numberOption } from './number-option.js';

const rounds = numberOption('rounds', 300);
const services = createUsersServices(createTestTokens(), { REGISTER_LIMIT_PER_IP: 100_000 });
const db = await connectTestMongo('bench_password_reset');
console.info(`# password reset requests, ${rounds} per case; load average before: ${loadavg().join(' ')}`);

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

try {
  const accounts: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const email = `reset-bench-${i}@example.com`;
    await services.auth.register(testContext(null, services), {
      email,
      password: 'a bench password',
      firstName: 'B',
      lastName: 'M',
    });
    accounts.push(email);
  }
  const samples = { account: [] as number[], none: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    // A fresh client address each: from one, the per-address limit (20 an hour) would refuse.
    const from = (n: number) => ({ ...testContext(null, services), clientIp: `10.${n >> 8}.${n & 255}.1` });
    samples.account.push(await timed(() => services.passwordResets.request(from(2 * i), accounts[i])));
    samples.none.push(await timed(() => services.passwordResets.request(from(2 * i + 1), `nobody-${i}@example.com`)));
  }
  const rows = Object.entries(samples).map(([name, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { name, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99) };
  });
  for (const { name, p50, p90, p99 } of rows) {
    console.info(`${name.padEnd(8)} p50 ${p50.toFixed(2)} ms  p90 ${p90.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms`);
  }
  const [account, none] = rows as [(typeof rows)[number], (typeof rows)[number]];
  console.info(
    `with account / without, p50: ${(account.p50 / none.p50).toFixed(2)} (+${(account.p50 - none.p50).toFixed(2)} ms)`,
  );
} finally {
  await db.drop();
  console.info(`load average after: ${loadavg().join(' ')}`);
}
process.exit(0);
