import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { postJson, RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';

const subgraph = new RecordingSubgraph();
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  const url = await subgraph.start();
  subgraph.answer = () => ({
    data: null,
    errors: [{ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } }],
  });
  // Loopback is the trusted proxy here, so X-Forwarded-For names the client.
  const started = await startGateway(url, {
    TRUST_PROXY: 'loopback',
    LOGIN_LIMIT_PER_IP: '3',
    REGISTER_LIMIT_PER_IP: '2',
  });
  gateway = started.gateway;
  base = started.base;
});
afterAll(async () => {
  await gateway?.close();
  await subgraph.close();
});

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token } }';
const input = { email: 'ada@example.com', password: 'wrong password' };
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const subgraphLogins = () => subgraph.calls.filter((call) => call.body.query?.includes('login')).length;

describe('registration and login rate limits per address', () => {
  it('refuses the login past the limit with 429, Retry-After and TOO_MANY_REQUESTS, before any subgraph call', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await postJson(`${base}/graphql`, { query: LOGIN, variables: { input } }, from('203.0.113.1'));
      expect(answer.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(subgraphLogins()).toBe(3);
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from('203.0.113.1') },
      body: JSON.stringify({ query: LOGIN, variables: { input } }),
    });
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toEqual({ code: 'TOO_MANY_REQUESTS', retryAfter });
    expect(subgraphLogins()).toBe(3);
    // Another address has its own budget.
    const elsewhere = await postJson(`${base}/graphql`, { query: LOGIN, variables: { input } }, from('203.0.113.2'));
    expect(elsewhere.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('counts every aliased login of one document, through fragments too', async () => {
    const aliased = `mutation($input: LoginInput!) {
      a: login(input: $input) { token } ... on Mutation { b: login(input: $input) { token } } ...More
    }
    fragment More on Mutation { c: login(input: $input) { token } d: login(input: $input) { token } }`;
    const answer = await postJson(`${base}/graphql`, { query: aliased, variables: { input } }, from('203.0.113.3'));
    expect(answer.status).toBe(429);
    expect(answer.body.errors[0].extensions.code).toBe('TOO_MANY_REQUESTS');
  });

  it('counts requestPasswordReset, resetPassword, verifyEmail and changePassword per address like logins, each on its own budget', async () => {
    const RESET = 'mutation($email: String!) { requestPasswordReset(email: $email) }';
    const NEW_PASSWORD = 'mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { token } }';
    const ask = () =>
      postJson(`${base}/graphql`, { query: RESET, variables: { email: 'ada@example.com' } }, from('203.0.113.7'));
    const subgraphResets = () =>
      subgraph.calls.filter((call) => call.body.query?.includes('requestPasswordReset')).length;
    for (let i = 0; i < 3; i++) expect((await ask()).status).not.toBe(429);
    expect(subgraphResets()).toBe(3);
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe('TOO_MANY_REQUESTS');
    expect(subgraphResets()).toBe(3);
    const reset = { input: { token: 't', newPassword: 'a long password' } };
    for (let i = 0; i < 3; i++) {
      expect(
        (await postJson(`${base}/graphql`, { query: NEW_PASSWORD, variables: reset }, from('203.0.113.7'))).status,
      ).not.toBe(429);
    }
    expect(
      (await postJson(`${base}/graphql`, { query: NEW_PASSWORD, variables: reset }, from('203.0.113.7'))).status,
    ).toBe(429);
    const VERIFY = 'mutation($token: String!) { verifyEmail(token: $token) }';
    const verify = () => postJson(`${base}/graphql`, { query: VERIFY, variables: { token: 't' } }, from('203.0.113.7'));
    for (let i = 0; i < 3; i++) expect((await verify()).status).not.toBe(429);
    expect((await verify()).status).toBe(429);
    const CHANGE = 'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }';
    const change = () =>
      postJson(
        `${base}/graphql`,
        { query: CHANGE, variables: { input: { currentPassword: 'guess', newPassword: 'a long password' } } },
        from('203.0.113.7'),
      );
    for (let i = 0; i < 3; i++) expect((await change()).status).not.toBe(429);
    expect((await change()).status).toBe(429);
    const login = await postJson(`${base}/graphql`, { query: LOGIN, variables: { input } }, from('203.0.113.7'));
    expect(login.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('limits registration over REST too: 429 problem with Retry-After, nothing lost for other addresses', async () => {
    const register = (ip: string) =>
      fetch(`${base}/api/users/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...from(ip) },
        body: JSON.stringify({ email: 'new@example.com', password: 'a long password', firstName: 'N', lastName: 'W' }),
      });
    for (let i = 0; i < 2; i++) expect((await register('198.51.100.9')).status).not.toBe(429);
    const refused = await register('198.51.100.9');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3_000);
    expect(await refused.json()).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    expect((await register('198.51.100.10')).status).not.toBe(429);
  });
});
