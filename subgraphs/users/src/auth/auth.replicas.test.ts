import { fileURLToPath } from 'node:url';
import { connectTestMongo, createTestTokens, runReplicas, testContext } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUsersServices } from '../create-services.js';
import { RefreshTokenClaimModel, revocationId } from './refresh-token-claim.model.js';

// Two processes of the users service share only the database, as two replicas behind a load
// balancer do: whatever holds here cannot rest on per-process state.
const REPLICAS = 2;
const replica = fileURLToPath(new URL('auth.test-replica.ts', import.meta.url));
// The address's own limit is out of the way: the email-and-address lockout is what is tested.
const LIMITS = { LOGIN_MAX_FAILURES_PER_EMAIL: 5, LOGIN_MAX_FAILURES_PER_IP: 10_000 };
const services = createUsersServices(createTestTokens(), LIMITS);
const from = (clientIp: string) => ({ ...testContext(null, services), clientIp });
const victim = { email: 'victim@example.com', password: 'victim password', firstName: 'Vic', lastName: 'Tim' };

let db: { drop: () => Promise<void> };
beforeAll(async () => {
  db = await connectTestMongo('users_replicas');
  await services.auth.register(from('10.0.0.1'), victim);
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
  it('lets no more than the limit of 200 concurrent wrong passwords for one email from one address be checked', async () => {
    const outcomes = (
      await runReplicas<string[]>(replica, REPLICAS, {
        SCENARIO: 'login',
        EMAIL: victim.email,
        CLIENT_IP: '192.0.2.7',
        ATTEMPTS: '100',
        LIMITS: JSON.stringify(LIMITS),
      })
    ).flat();
    expect(outcomes).toHaveLength(200);
    const checked = outcomes.filter((code) => code === 'UNAUTHENTICATED').length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(LIMITS.LOGIN_MAX_FAILURES_PER_EMAIL);
    expect(outcomes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(200 - checked);
    // The address is locked out of the account, even with the right password; the owner elsewhere is not.
    expect((await failure(services.auth.login(from('192.0.2.7'), victim))).extensions.code).toBe('TOO_MANY_REQUESTS');
    expect((await services.auth.login(from('192.0.2.8'), victim)).user.email).toBe(victim.email);
  }, 90_000);
});

describe('refresh-token rotation across two replicas', () => {
  it('exchanges a token presented to both at once for at most one new pair, and ends the session as reuse', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => services.auth.login(from(`10.1.0.${i}`), victim)),
    );
    const tokens = sessions.map((session) => session.refreshToken);
    const [first, second] = await runReplicas<string[]>(replica, REPLICAS, {
      SCENARIO: 'refresh',
      TOKENS: JSON.stringify(tokens),
      LIMITS: JSON.stringify(LIMITS),
    });
    for (const [i, token] of tokens.entries()) {
      const answers = [first?.[i], second?.[i]];
      const pairs = answers.filter((answer) => answer?.startsWith('OK:'));
      expect(pairs.length, `session ${i}: ${answers.join(', ')}`).toBeLessThanOrEqual(1);
      expect(answers.filter((answer) => answer === 'UNAUTHENTICATED')).toHaveLength(2 - pairs.length);
      // The loser presented a replaced token: reuse, so the session is over, the winner's new token included.
      const familyId = token.split('.')[0] ?? '';
      expect((await RefreshTokenClaimModel.findById(revocationId(familyId)).lean())?.reason).toBe('reuse');
      for (const pair of pairs) {
        const next = pair?.slice('OK:'.length) ?? '';
        expect((await failure(services.auth.refresh(from('10.1.1.1'), next))).extensions.code).toBe('UNAUTHENTICATED');
      }
    }
  }, 90_000);
});
