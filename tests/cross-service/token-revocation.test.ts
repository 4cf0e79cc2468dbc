// Finding 9 of issue #17: access tokens are revoked at once, not when they expire. The real users
// subgraph, in-process, behind a gateway with TOKEN_VERSION_CACHE_MS=0 (no revocation delay).
import { createTokenVersionCheck, remoteTokenVersions } from '@shop/platform/http';
import { describe, expect, it } from 'vitest';
import { type Json, postJson } from '../../gateway/src/gateway.test-fixture.js';
import { ensureAdmin } from '../../subgraphs/users/src/user/admin-bootstrap.js';
import { gatewayOverUsers } from './in-process.fixture.js';

const PASSWORD = 'correct horse battery';
const ADMIN = { email: 'root@example.com', password: 'the first admin password' };

const stack = gatewayOverUsers({
  database: 'token_revocation',
  env: { TOKEN_VERSION_CACHE_MS: '0' },
  prepare: () => ensureAdmin(ADMIN.email, ADMIN.password),
});
const { tokens } = stack;

const gql = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  postJson(`${stack.base}/graphql`, { query, variables }, token ? { authorization: `Bearer ${token}` } : {});
const codeOf = (answer: { body: Json }) => answer.body.errors?.[0]?.extensions?.code;
const getUser = (id: string, token: string) =>
  fetch(`${stack.base}/api/users/${id}`, { headers: { authorization: `Bearer ${token}` } });

interface Session {
  id: string;
  token: string;
  refreshToken: string;
}
const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token refreshToken user { id } } }';
const REFRESH = 'mutation($token: String!) { refreshToken(token: $token) { token refreshToken } }';
const USER = 'query($id: ID!) { user(id: $id) { id email } }';
const SET_ROLE = 'mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id role } }';

async function login(email: string, password = PASSWORD): Promise<Session> {
  const answer = await gql(LOGIN, { input: { email, password } });
  expect(answer.body.errors).toBeUndefined();
  const { token, refreshToken, user } = answer.body.data.login;
  return { id: user.id, token, refreshToken };
}

async function register(name: string): Promise<Session> {
  const email = `${name}@example.com`;
  const answer = await gql('mutation($input: RegisterInput!) { register(input: $input) { token } }', {
    input: { email, password: PASSWORD, firstName: name, lastName: 'Test' },
  });
  expect(answer.body.errors).toBeUndefined();
  return login(email);
}

/** The token still opens the door (`me`), over GraphQL and REST alike. */
async function accepted(session: Session): Promise<boolean> {
  const graphql = await gql('{ me { id } }', {}, session.token);
  const rest = await getUser(session.id, session.token);
  if (graphql.body.data?.me?.id === session.id && rest.status === 200) return true;
  expect(graphql.status).toBe(401);
  expect(codeOf(graphql)).toBe('UNAUTHENTICATED');
  expect(graphql.body.errors[0].message).toBe('Token revoked');
  expect(rest.status).toBe(401);
  return false;
}

const refreshed = async (session: Session) => codeOf(await gql(REFRESH, { token: session.refreshToken })) === undefined;

describe('revocation of access tokens before they expire (TOKEN_VERSION_CACHE_MS=0)', () => {
  it('a demoted admin loses admin rights at once: the old token and session are refused', async () => {
    const root = await login(ADMIN.email, ADMIN.password);
    const customer = await register('bystander');
    const deputy = await register('deputy');
    expect((await gql(SET_ROLE, { id: deputy.id, role: 'ADMIN' }, root.token)).body.data.setUserRole.role).toBe(
      'ADMIN',
    );
    const asAdmin = await login('deputy@example.com');
    // Control: the new admin token reads another customer's account.
    expect((await gql(USER, { id: customer.id }, asAdmin.token)).body.data.user.id).toBe(customer.id);
    expect((await gql(SET_ROLE, { id: deputy.id, role: 'CUSTOMER' }, root.token)).body.data.setUserRole.role).toBe(
      'CUSTOMER',
    );
    const afterDemotion = await gql(USER, { id: customer.id }, asAdmin.token);
    expect(codeOf(afterDemotion)).toBe('UNAUTHENTICATED');
    expect(afterDemotion.body.data ?? null).toBeNull();
    expect((await getUser(customer.id, asAdmin.token)).status).toBe(401);
    expect(await refreshed(asAdmin)).toBe(false);
    // Logging in again gives a customer's token, which may not read others: NOT_FOUND, as for no account at all.
    const again = await login('deputy@example.com');
    expect(codeOf(await gql(USER, { id: customer.id }, again.token))).toBe('NOT_FOUND');
    expect(await accepted(again)).toBe(true);
  });

  it('logout everywhere refuses every access and refresh token of the account', async () => {
    await register('ada');
    const [phone, laptop] = [await login('ada@example.com'), await login('ada@example.com')];
    expect(await accepted(phone)).toBe(true);
    expect(await accepted(laptop)).toBe(true);
    expect((await gql('mutation { logoutEverywhere }', {}, phone.token)).body.data).toEqual({ logoutEverywhere: true });
    expect(await accepted(phone)).toBe(false);
    expect(await accepted(laptop)).toBe(false);
    expect(await refreshed(phone)).toBe(false);
    expect(await refreshed(laptop)).toBe(false);
    expect(await accepted(await login('ada@example.com'))).toBe(true);
  });

  it('an admin can log anyone out everywhere; a customer another account only sees NOT_FOUND', async () => {
    const root = await login(ADMIN.email, ADMIN.password);
    const victim = await register('victim');
    const other = await register('nosy');
    const LOGOUT = 'mutation($id: ID) { logoutEverywhere(userId: $id) }';
    expect(codeOf(await gql(LOGOUT, { id: victim.id }, other.token))).toBe('NOT_FOUND');
    expect(await accepted(victim)).toBe(true);
    expect((await gql(LOGOUT, { id: victim.id }, root.token)).body.data).toEqual({ logoutEverywhere: true });
    expect(await accepted(victim)).toBe(false);
    expect(await accepted(root)).toBe(true);
  });

  it('a password change refuses every earlier access and refresh token, and answers a working new pair', async () => {
    await register('bob');
    const [phone, laptop] = [await login('bob@example.com'), await login('bob@example.com')];
    const answer = await gql(
      'mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token refreshToken user { id } } }',
      { input: { currentPassword: PASSWORD, newPassword: 'a completely new password' } },
      laptop.token,
    );
    expect(answer.body.errors).toBeUndefined();
    const fresh: Session = { id: laptop.id, ...answer.body.data.changePassword };
    expect(await accepted(phone)).toBe(false);
    expect(await accepted(laptop)).toBe(false);
    expect(await refreshed(phone)).toBe(false);
    expect(await refreshed(laptop)).toBe(false);
    expect(await accepted(fresh)).toBe(true);
    expect(await refreshed(fresh)).toBe(true);
  });

  it('refuses a well-signed token of an account that does not exist', async () => {
    const ghost = await tokens.sign({ id: '0123456789abcdef01234567', role: 'ADMIN', tokenVersion: 0 });
    const answer = await gql('{ me { id } }', {}, ghost);
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].message).toBe('Token revoked');
  });
});

describe('what the check costs per authenticated request (printed; the bound is asserted, not the time)', () => {
  const percentile = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  async function measure(label: string, runs: number, cacheMs: number) {
    let lookups = 0;
    const load = remoteTokenVersions(stack.users.url, tokens, 'gateway');
    const check = createTokenVersionCheck({
      load: (ids) => {
        lookups++;
        return load(ids);
      },
      cacheMs,
    });
    const session = await login(ADMIN.email, ADMIN.password);
    const principal = await tokens.verify(session.token);
    await check.assertCurrent(principal); // connections opened, code warmed
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      await check.assertCurrent(principal);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((sum, time) => sum + time, 0) / runs;
    console.log(
      `token version check, ${label}: mean ${mean.toFixed(4)} ms, p50 ${percentile(times, 0.5)?.toFixed(4)} ms, ` +
        `p99 ${percentile(times, 0.99)?.toFixed(4)} ms over ${runs} calls, ${lookups} lookups`,
    );
    return lookups;
  }

  it('cold (TOKEN_VERSION_CACHE_MS=0): one lookup of the users subgraph per request', async () => {
    expect(await measure('cold', 200, 0)).toBe(201);
  });

  it('warm (within TOKEN_VERSION_CACHE_MS): no lookup at all', async () => {
    expect(await measure('warm', 10_000, 60_000)).toBe(1);
  });
});
