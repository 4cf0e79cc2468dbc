import { fileURLToPath } from 'node:url';
import { connectTestMongo, createTestTokens, runReplicas, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { RefreshTokenStore } from './refresh-token.store.js';

// Two processes of the users service share only the database, as two replicas behind a load
// balancer do: whatever holds here cannot rest on per-process state.
const REPLICAS = 2;
const replica = fileURLToPath(new URL('auth.test-replica.ts', import.meta.url));
// The address's own limit and the email's backoff are out of the way: the email-and-address lockout is tested.
const LIMITS = {
  LOGIN_MAX_FAILURES_PER_EMAIL: 5,
  LOGIN_MAX_FAILURES_PER_IP: 10_000,
  LOGIN_BACKOFF_AFTER_FAILURES: 100_000,
};
const services = createUsersServices(createTestTokens(), LIMITS);
const from = (clientIp: string) => ({ ...testContext(null, services), clientIp });
const victim = { email: 'victim@example.com', password: 'victim password', firstName: 'Vic', lastName: 'Tim' };

let db: { drop: () => Promise<void> };
let victimId: string;
beforeAll(async () => {
  db = await connectTestMongo('users_replicas');
  victimId = (await services.auth.register(from('10.0.0.1'), victim)).user.id;
});
afterAll(() => db.drop());

// biome-ignore lint/suspicious/noExplicitAny: assertions read GraphQL error extensions freely
const failure = (promise: Promise<unknown>): Promise<any> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error) => error,
  );

describe('the login throttle across two replicas', () => {
  it('lets no more than the limit of 200 concurrent wrong passwords for one email be checked, from each of its addresses', async () => {
    // Ten addresses, twenty attempts from each (ten per replica): ten lockouts racing at once.
    const ADDRESSES = 10;
    const perReplica = await runReplicas<string[]>(replica, REPLICAS, {
      SCENARIO: 'login',
      EMAIL: victim.email,
      ADDRESS_PREFIX: '192.0.2.',
      ADDRESSES: String(ADDRESSES),
      ATTEMPTS: '100',
      LIMITS: JSON.stringify(LIMITS),
    });
    const outcomes = perReplica.flatMap((codes) => codes.map((code, i) => ({ address: i % ADDRESSES, code })));
    expect(outcomes).toHaveLength(200);
    for (let address = 0; address < ADDRESSES; address++) {
      const codes = outcomes.filter((outcome) => outcome.address === address).map((outcome) => outcome.code);
      const checked = codes.filter((code) => code === 'UNAUTHENTICATED').length;
      expect(checked, `192.0.2.${address}: ${codes.join(', ')}`).toBeLessThanOrEqual(
        LIMITS.LOGIN_MAX_FAILURES_PER_EMAIL,
      );
      expect(checked).toBeGreaterThanOrEqual(1);
      expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(codes.length - checked);
    }
    // Each address is locked out of the account, even with the right password; the owner elsewhere is not.
    expect((await failure(services.auth.login(from('192.0.2.7'), victim))).extensions.code).toBe('TOO_MANY_REQUESTS');
    expect((await services.auth.login(from('198.51.100.8'), victim)).user.email).toBe(victim.email);
  }, 120_000);
});

describe('the registration limit across two replicas', () => {
  it('lets no more than REGISTER_LIMIT_PER_IP of 20 concurrent registrations from one address through', async () => {
    const limit = 5;
    const perReplica = await runReplicas<string[]>(replica, REPLICAS, {
      SCENARIO: 'register',
      ADDRESS_PREFIX: '198.51.100.',
      ATTEMPTS: '10',
      LIMITS: JSON.stringify({ ...LIMITS, REGISTER_LIMIT_PER_IP: limit }),
    });
    const codes = perReplica.flat();
    expect(codes).toHaveLength(20);
    const registered = codes.filter((code) => code.startsWith('OK:')).length;
    expect(registered, codes.join(', ')).toBeLessThanOrEqual(limit);
    expect(registered).toBeGreaterThanOrEqual(1);
    expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(20 - registered);
  }, 120_000);
});

describe('refresh-token rotation across two replicas', () => {
  it('exchanges a token presented to both at once for at most one new pair, and ends the session as reuse', async () => {
    // Two hundred sessions, each token raced by both replicas at once: long bursts overlap however late a replica wakes.
    const store = new RefreshTokenStore(3_600);
    const tokens = await Promise.all(Array.from({ length: 200 }, () => store.start(victimId, 0)));
    const [first, second] = await runReplicas<string[]>(replica, REPLICAS, {
      SCENARIO: 'refresh',
      TOKENS: JSON.stringify(tokens),
      LIMITS: JSON.stringify(LIMITS),
    });
    const winners: string[] = [];
    for (const i of tokens.keys()) {
      const answers = [first?.[i], second?.[i]];
      const pairs = answers.filter((answer) => answer?.startsWith('OK:'));
      expect(pairs.length, `session ${i}: ${answers.join(', ')}`).toBeLessThanOrEqual(1);
      expect(answers.filter((answer) => answer === 'UNAUTHENTICATED')).toHaveLength(2 - pairs.length);
      winners.push(...pairs.map((pair) => pair?.slice('OK:'.length) ?? ''));
    }
    // Refusing every exchange would keep the limit too: rotation must still work under the race.
    expect(winners.length).toBeGreaterThanOrEqual(1);
    // The loser presented a used token: reuse, so the session is over, the winner's new token included.
    const afterwards = await Promise.all(
      winners.map((next) =>
        failure(services.auth.refresh(from('10.1.1.1'), next)).then((error) => error.extensions.code),
      ),
    );
    expect(afterwards).toEqual(winners.map(() => 'UNAUTHENTICATED'));
  }, 120_000);
});
