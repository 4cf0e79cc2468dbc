// The users subgraph over real HTTP, as the gateway (and anyone who reaches it) calls it:
// tokens verified by the subgraph itself, the gateway-signed x-client-ip for the limits, and what leaks where.
import { createHmac } from 'node:crypto';
import { createLogger, keepAliveShape } from '@shop/platform/core';
import { createGatewayRequestSigner, graphqlLimitsShape } from '@shop/platform/http';
import {
  connectTestMongo,
  createTestTokens,
  serveTestSubgraph,
  TEST_JWT_SECRET,
  type TestSubgraph,
} from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createUsersServices } from './create-services.js';
import { usersSubgraph } from './schema.js';
import { ensureAdmin } from './user/admin-bootstrap.js';

const tokens = createTestTokens();
const services = createUsersServices(tokens, { LOGIN_MAX_FAILURES_PER_EMAIL: 3, LOGIN_MAX_FAILURES_PER_IP: 5 });
const ADMIN = { email: 'root@example.com', password: 'root admin password' };
const PASSWORD = 'ada secret password';
const SIGNING_SECRET = 'gateway-signing-secret-that-is-long-enough';
const config = {
  ...z.object({ ...graphqlLimitsShape, ...keepAliveShape }).parse({}),
  NODE_ENV: 'test',
  GATEWAY_SIGNING_SECRETS: ['the-previous-signing-secret-still-accepted', SIGNING_SECRET],
};
const gateway = createGatewayRequestSigner([SIGNING_SECRET]);
/** The gateway's headers for a client at this address: signed when `gql` sends them. */
const viaGateway = (clientIp: string) => ({ 'x-client-ip': clientIp, 'x-sign-as-gateway': 'yes' });

const logLines: string[] = [];
const responses: string[] = [];
const log = createLogger('users', { LOG_LEVEL: 'trace' }, { write: (line: string) => logLines.push(line) });

let db: { drop: () => Promise<void> };
let server: TestSubgraph;
let replica: TestSubgraph;
let url: string;
let replicaUrl: string;

beforeAll(async () => {
  db = await connectTestMongo('users_http');
  await ensureAdmin(ADMIN.email, ADMIN.password);
  server = await serveTestSubgraph(usersSubgraph, services, tokens, { config, log });
  url = server.url;
  // A second replica with its own service instances: only the database is shared.
  replica = await serveTestSubgraph(
    usersSubgraph,
    createUsersServices(tokens, { LOGIN_MAX_FAILURES_PER_EMAIL: 3, LOGIN_MAX_FAILURES_PER_IP: 5 }),
    tokens,
    { config, log },
  );
  replicaUrl = replica.url;
});
afterAll(async () => {
  await replica?.close();
  await server?.close();
  await db?.drop();
});

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
  data?: any;
  errors?: { message: string; extensions: { code: string; [key: string]: unknown } }[];
}

async function gql(
  query: string,
  variables: object = {},
  headers: Record<string, string> = {},
  target = url,
): Promise<Answer> {
  const body = JSON.stringify({ query, variables });
  const { 'x-sign-as-gateway': asGateway, ...sent } = headers;
  if (asGateway) {
    const request = { clientIp: sent['x-client-ip'] ?? '', authorization: sent.authorization ?? '', body };
    Object.assign(sent, gateway.sign({ method: 'POST', path: '/graphql', ...request }));
  }
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...sent },
    body,
  });
  const text = await response.text();
  responses.push(text);
  return { status: response.status, ...JSON.parse(text) };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const code = (answer: Answer) => answer.errors?.[0]?.extensions.code;

const USER = 'id email firstName lastName role createdAt updatedAt';
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { token refreshToken user { ${USER} } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token refreshToken user { ${USER} } } }`;
const REFRESH = `mutation($token: String!) { refreshToken(token: $token) { token refreshToken user { id } } }`;
const GET_USER = `query($id: ID!) { user(id: $id) { ${USER} } }`;

let ada: { id: string; token: string; refreshToken: string };
let bob: { id: string; token: string };
let adminToken: string;

describe('users subgraph over HTTP', () => {
  it('registers and logs in, answering the token pair and the contract user fields only', async () => {
    const registered = await gql(REGISTER, {
      input: { email: 'Ada@Example.com', password: PASSWORD, firstName: 'Ada', lastName: 'Lovelace' },
    });
    expect(registered.errors).toBeUndefined();
    expect(Object.keys(registered.data.register.user).sort()).toEqual(USER.split(' ').sort());
    const login = await gql(LOGIN, { input: { email: 'ada@example.com', password: PASSWORD } });
    ada = { id: login.data.login.user.id, token: login.data.login.token, refreshToken: login.data.login.refreshToken };
    expect(ada.id).toBe(registered.data.register.user.id);
    const other = await gql(REGISTER, {
      input: { email: 'bob@example.com', password: PASSWORD, firstName: 'Bob', lastName: 'Babbage' },
    });
    bob = { id: other.data.register.user.id, token: other.data.register.token };
    adminToken = (await gql(LOGIN, { input: ADMIN })).data.login.token;
    expect((await gql(`{ me { email role } }`, {}, bearer(adminToken))).data.me).toEqual({
      email: ADMIN.email,
      role: 'ADMIN',
    });
  });

  it('offers no password field in any form', async () => {
    const answer = await gql(`{ __type(name: "User") { fields { name } } }`);
    const fields = answer.data.__type.fields.map((field: { name: string }) => field.name);
    expect(fields.filter((name: string) => /pass|hash/i.test(name))).toEqual([]);
  });

  it('names the invalid fields in BAD_USER_INPUT', async () => {
    const answer = await gql(REGISTER, { input: { email: 'x', password: 'password', firstName: '', lastName: 'L' } });
    expect(code(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.extensions.fields).toEqual([
      { field: 'email', message: 'must be an email' },
      { field: 'password', message: 'is too common' },
      { field: 'firstName', message: 'is required' },
    ]);
  });

  it('lets a customer read themselves but not another user (NOT_FOUND, as for an unknown id); an admin reads anyone', async () => {
    expect((await gql(GET_USER, { id: ada.id }, bearer(ada.token))).data.user.email).toBe('ada@example.com');
    const other = await gql(GET_USER, { id: bob.id }, bearer(ada.token));
    expect(code(other)).toBe('NOT_FOUND');
    expect(other.data?.user ?? null).toBeNull();
    const unknownId = '0123456789abcdef01234567';
    const unknown = await gql(GET_USER, { id: unknownId }, bearer(ada.token));
    expect(JSON.stringify(other).replaceAll(bob.id, '<id>')).toBe(
      JSON.stringify(unknown).replaceAll(unknownId, '<id>'),
    );
    expect(code(await gql(GET_USER, { id: bob.id }))).toBe('UNAUTHENTICATED');
    expect((await gql(GET_USER, { id: bob.id }, bearer(adminToken))).data.user.email).toBe('bob@example.com');
  });

  it('refuses forged, unsigned, foreign-audience and expired tokens with UNAUTHENTICATED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: bob.id, role: 'ADMIN', iss: 'shop', aud: 'shop-api', iat: now, exp: now + 600 };
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hs256 = (payload: object) => {
      const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
      return `${signed}.${createHmac('sha256', TEST_JWT_SECRET).update(signed).digest('base64url')}`;
    };
    const [header, , signature] = ada.token.split('.');
    const forged = [
      `${header}.${b64({ ...claims, sub: ada.id })}.${signature}`,
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      hs256({ ...claims, aud: 'other-api' }),
      hs256({ ...claims, iat: now - 900, exp: now - 300 }),
    ];
    // The same recipe with our claims is accepted, so each refusal is the one change's doing.
    expect((await gql(GET_USER, { id: bob.id }, bearer(hs256(claims)))).data.user.id).toBe(bob.id);
    for (const token of forged) {
      const answer = await gql(GET_USER, { id: bob.id }, bearer(token));
      expect(code(answer)).toBe('UNAUTHENTICATED');
      expect(answer.data?.user ?? null).toBeNull();
    }
  });

  it('lets customers rename themselves and only admins change roles', async () => {
    const renamed = await gql(
      `mutation { updateMe(input: { lastName: "King" }) { id lastName role } }`,
      {},
      bearer(ada.token),
    );
    expect(renamed.data.updateMe).toEqual({ id: ada.id, lastName: 'King', role: 'CUSTOMER' });
    const SET_ROLE = `mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id role } }`;
    expect(code(await gql(SET_ROLE, { id: ada.id }, bearer(ada.token)))).toBe('FORBIDDEN');
    expect(code(await gql(SET_ROLE, { id: ada.id }))).toBe('UNAUTHENTICATED');
    expect((await gql(SET_ROLE, { id: bob.id }, bearer(adminToken))).data.setUserRole).toEqual({
      id: bob.id,
      role: 'ADMIN',
    });
  });

  it('rotates refresh tokens, detects reuse, and logs out', async () => {
    const rotated = await gql(REFRESH, { token: ada.refreshToken });
    const next = rotated.data.refreshToken.refreshToken;
    expect(next).not.toBe(ada.refreshToken);
    expect(code(await gql(REFRESH, { token: ada.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(code(await gql(REFRESH, { token: next }))).toBe('UNAUTHENTICATED');
    const fresh = (await gql(LOGIN, { input: { email: 'ada@example.com', password: PASSWORD } })).data.login;
    expect((await gql(`mutation($t: String!) { logout(refreshToken: $t) }`, { t: fresh.refreshToken })).data).toEqual({
      logout: true,
    });
    expect(code(await gql(REFRESH, { token: fresh.refreshToken }))).toBe('UNAUTHENTICATED');
  });

  it('limits failed logins per client address from the gateway-signed x-client-ip, answering TOO_MANY_REQUESTS with retryAfter', async () => {
    const attacker = viaGateway('203.0.113.7');
    for (let i = 0; i < 5; i++) {
      const answer = await gql(
        LOGIN,
        { input: { email: `spray-${i}@example.com`, password: 'guess guess' } },
        attacker,
      );
      expect(code(answer)).toBe('UNAUTHENTICATED');
    }
    const blocked = await gql(LOGIN, { input: { email: 'ada@example.com', password: PASSWORD } }, attacker);
    expect(blocked.errors?.[0]?.extensions).toEqual({ code: 'TOO_MANY_REQUESTS', retryAfter: 900 });
    const elsewhere = await gql(
      LOGIN,
      { input: { email: 'ada@example.com', password: PASSWORD } },
      viaGateway('198.51.100.1'),
    );
    expect(elsewhere.data.login.user.id).toBe(ada.id);
  });

  it('ignores a forged x-client-ip on a direct call: the per-address limit holds for the real peer', async () => {
    // A caller that reaches the port itself (not through the gateway) claims a new address each time.
    const outcomes: string[] = [];
    for (let n = 0; n < 14; n++) {
      const forged = { 'x-client-ip': `198.18.${n}.1` };
      const answer = await gql(LOGIN, { input: { email: `direct-${n}@example.com`, password: 'guess guess' } }, forged);
      outcomes.push(code(answer) ?? 'OK');
    }
    expect(outcomes).toEqual([...Array(5).fill('UNAUTHENTICATED'), ...Array(9).fill('TOO_MANY_REQUESTS')]);
    // Signed with a secret the subgraph does not hold, or a signature moved to another body: ignored too.
    const stranger = createGatewayRequestSigner(['some-other-secret-that-is-long-enough-too']);
    const body = JSON.stringify({ query: LOGIN, variables: { input: { email: 'x@example.com', password: 'guess' } } });
    const request = { method: 'POST', path: '/graphql', clientIp: '198.18.99.1', authorization: '' };
    for (const headers of [
      stranger.sign({ ...request, body }),
      gateway.sign({ ...request, body: '{"query":"{ me { id } }"}' }),
      gateway.sign({ ...request, body }, Date.now() - 120_000),
    ]) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-client-ip': '198.18.99.1', ...headers },
        body,
      });
      expect(code((await response.json()) as Answer)).toBe('TOO_MANY_REQUESTS');
    }
    expect(logLines.some((line) => line.includes('unsigned or forged x-client-ip ignored'))).toBe(true);
  });

  it('applies the gateway’s alias, directive and token limits on its own port', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect(code(await gql(aliases(15), {}, bearer(ada.token)))).toBeUndefined();
    expect(code(await gql(aliases(16), {}, bearer(ada.token)))).toBe('GRAPHQL_VALIDATION_FAILED');
    const directives = `{ me { id ${'@include(if: true) '.repeat(21)}} }`;
    expect(code(await gql(directives, {}, bearer(ada.token)))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(code(await gql(`{ me { ${'id '.repeat(2_100)}} }`, {}, bearer(ada.token)))).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('holds the email-and-address limit across replicas (the count is in the database)', async () => {
    const guess = (n: number, target: string) =>
      gql(LOGIN, { input: { email: 'bob@example.com', password: `guess ${n}` } }, viaGateway('192.0.2.1'), target);
    expect(code(await guess(1, url))).toBe('UNAUTHENTICATED');
    expect(code(await guess(2, replicaUrl))).toBe('UNAUTHENTICATED');
    expect(code(await guess(3, url))).toBe('UNAUTHENTICATED');
    expect(code(await guess(4, replicaUrl))).toBe('TOO_MANY_REQUESTS');
    expect(code(await guess(5, url))).toBe('TOO_MANY_REQUESTS');
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const from = viaGateway('198.51.100.2');
    const wrong = await gql(LOGIN, { input: { email: 'ada@example.com', password: 'not her password' } }, from);
    const unknown = await gql(LOGIN, { input: { email: 'nobody@example.com', password: 'not her password' } }, from);
    expect(wrong).toEqual(unknown);
    expect(code(wrong)).toBe('UNAUTHENTICATED');
  });

  it('takes an optional phone at register and updateMe, shown to its owner, an admin and a service only', async () => {
    const registered = await gql(REGISTER.replace('lastName role', 'lastName phone role'), {
      input: {
        email: 'grace@example.com',
        password: PASSWORD,
        firstName: 'Grace',
        lastName: 'Hopper',
        phone: '+14155550100',
      },
    });
    const grace = registered.data.register;
    expect(grace.user.phone).toBe('+14155550100');
    const PHONE = `query($id: ID!) { user(id: $id) { phone } }`;
    const service = { authorization: await tokens.serviceAuthorization('notifications') };
    for (const caller of [bearer(grace.token), bearer(adminToken), service]) {
      expect((await gql(PHONE, { id: grace.user.id }, caller)).data.user.phone).toBe('+14155550100');
    }
    expect(code(await gql(PHONE, { id: grace.user.id }, bearer(ada.token)))).toBe('NOT_FOUND');
    expect((await gql(PHONE, { id: ada.id }, bearer(ada.token))).data.user.phone).toBeNull();

    const UPDATE = `mutation($phone: String) { updateMe(input: { phone: $phone }) { phone } }`;
    expect((await gql(UPDATE, { phone: '+33142685300' }, bearer(grace.token))).data.updateMe.phone).toBe(
      '+33142685300',
    );
    const invalid = await gql(UPDATE, { phone: '0142685300' }, bearer(grace.token));
    expect(invalid.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'phone', message: 'must be an E.164 number such as +14155550100' }],
    });
    expect((await gql(UPDATE, { phone: '' }, bearer(grace.token))).data.updateMe.phone).toBeNull();
  });

  it('never lets a password hash or a password into any response or log line', async () => {
    expect(responses.length).toBeGreaterThan(20);
    expect(logLines.length).toBeGreaterThan(5);
    for (const text of [...responses, ...logLines]) {
      expect(text).not.toMatch(/\$argon2/);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(ADMIN.password);
    }
  });
});
