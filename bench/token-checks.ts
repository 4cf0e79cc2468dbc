// `pnpm bench:tokens [--count N]`
//
// What checking a bearer token costs each process it reaches (the gateway and every subgraph on an
// order's path verify the token they are handed): the project's token service against jose handed
// the secret's raw bytes, which imports the key into WebCrypto on every call (what the service did
// before it imported its key once). One process, sequential calls, taking turns; the median of five
// rounds each.
import { loadavg } from 'node:os';
import { createTokenService } from '@shop/platform/core';
import { TEST_JWT_SECRET, TEST_TOKEN_SETTINGS } from '@shop/platform/testing';
import { jwtVerify } from 'jose';
import { numberOption } from './number-option.js';

const count = numberOption('count', 20_000);
const ROUNDS = 5;

const tokens = createTokenService(TEST_TOKEN_SETTINGS);
const token = await tokens.sign({ id: 'bench-user', role: 'CUSTOMER' });
const rawKey = new TextEncoder().encode(TEST_JWT_SECRET);
const options = {
  algorithms: ['HS256'],
  issuer: TEST_TOKEN_SETTINGS.JWT_ISSUER,
  audience: TEST_TOKEN_SETTINGS.JWT_AUDIENCE,
};

/** Microseconds per call of `verify` over `count` sequential calls. */
async function round(verify: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await verify();
  return ((performance.now() - started) * 1000) / count;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

console.info(`# token checks: ${count} verifications a round; load average before: ${loadavg().join(' ')}`);
// The two take turns, one warm-up round each first, so a slower spell of the machine (a shared
// virtual machine's cores vary) weighs on both alike.
const serviceRounds: number[] = [];
const rawRounds: number[] = [];
for (let turn = 0; turn <= ROUNDS; turn++) {
  const service = await round(() => tokens.verify(token));
  const raw = await round(() => jwtVerify(token, rawKey, options));
  if (turn === 0) continue;
  serviceRounds.push(service);
  rawRounds.push(raw);
}
const service = median(serviceRounds);
const rawBytes = median(rawRounds);
console.info(`token service (key imported once): ${service.toFixed(1)} µs a verification`);
console.info(`jose with the raw secret (key imported per call): ${rawBytes.toFixed(1)} µs a verification`);
console.info(`ratio: ×${(rawBytes / service).toFixed(2)}`);
const listed = (rounds: number[]) => rounds.map((value) => value.toFixed(0)).join(', ');
console.info(`rounds (µs): token service ${listed(serviceRounds)}; raw secret ${listed(rawRounds)}`);
console.info(`load average after: ${loadavg().join(' ')}`);
