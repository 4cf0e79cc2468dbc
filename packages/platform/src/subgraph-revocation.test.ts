// A subgraph port refuses a revoked access token on requests the gateway did not sign (a call
// straight to the port, or from another subgraph on the caller's behalf), and leaves the ones it
// signed alone: the gateway checked those at the edge.
import 'reflect-metadata';
import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTokenService } from './auth.js';
import { keepAliveShape } from './config.js';
import { ServiceUnavailableError } from './errors.js';
import { createGatewayRequestSigner } from './gateway-signature.js';
import { graphqlLimitsShape } from './graphql-limits.js';
import type { RequestContext } from './subgraph.js';
import { serveTestSubgraph, type TestSubgraph } from './testing.js';
import { createTokenVersionCheck } from './token-versions.js';

@Resolver()
class WhoAmIResolver {
  @Authorized()
  @Query(() => String)
  whoAmI(@Ctx() ctx: RequestContext): string {
    return ctx.principal?.id ?? '';
  }
}

const SECRET = 's'.repeat(40);
const tokens = createTokenService({
  JWT_SECRET: ['x'.repeat(40)],
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 60,
});
const signer = createGatewayRequestSigner([SECRET]);
/** The accounts' current token versions, as the users subgraph would answer them. */
const versions = new Map<string, number>();
const lookups: string[][] = [];
let usersAnswers = true;
let server: TestSubgraph;
let url: string;

beforeAll(async () => {
  server = await serveTestSubgraph({ name: 'revocation-probe', resolvers: [WhoAmIResolver] }, {}, tokens, {
    config: {
      ...z.object({ ...graphqlLimitsShape, ...keepAliveShape }).parse({}),
      NODE_ENV: 'production',
      GATEWAY_SIGNING_SECRETS: [SECRET],
    },
    revocation: createTokenVersionCheck({
      load: async (ids) => {
        if (!usersAnswers) throw new ServiceUnavailableError(new Error('users did not answer'));
        lookups.push([...ids]);
        return new Map(ids.flatMap((id) => (versions.has(id) ? [[id, versions.get(id) as number]] : [])));
      },
      cacheMs: 0,
    }),
  });
  url = server.url;
});
afterAll(() => server?.close());

async function whoAmI(token: string, signed = false) {
  const authorization = `Bearer ${token}`;
  const body = JSON.stringify({ query: '{ whoAmI }' });
  const clientIp = '203.0.113.9';
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization };
  if (signed) {
    Object.assign(
      headers,
      { 'x-client-ip': clientIp },
      signer.sign({ method: 'POST', path: '/graphql', clientIp, authorization, body }),
    );
  }
  const response = await fetch(url, { method: 'POST', headers, body });
  const json = (await response.json()) as {
    data?: { whoAmI: string };
    errors?: { message: string; extensions: { code: string } }[];
  };
  return json.data?.whoAmI ?? json.errors?.[0]?.extensions.code;
}

describe('token revocation at a subgraph port', () => {
  it('refuses an unsigned request whose token predates the account’s last bump, or whose account is gone', async () => {
    versions.set('u1', 0);
    const token = await tokens.sign({ id: 'u1', role: 'CUSTOMER', tokenVersion: 0 });
    expect(await whoAmI(token)).toBe('u1');
    versions.set('u1', 1); // a password change, a role change or a logout everywhere
    expect(await whoAmI(token)).toBe('UNAUTHENTICATED');
    expect(await whoAmI(await tokens.sign({ id: 'u1', role: 'CUSTOMER', tokenVersion: 1 }))).toBe('u1');
    expect(await whoAmI(await tokens.sign({ id: 'gone', role: 'CUSTOMER', tokenVersion: 0 }))).toBe('UNAUTHENTICATED');
  });

  it('answers a refusal before execution with its HTTP status: 401, or 503 and Retry-After when users does not answer', async () => {
    const ask = (authorization: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ whoAmI }' }),
      });
    versions.set('u3', 1);
    const revoked = await ask(`Bearer ${await tokens.sign({ id: 'u3', role: 'CUSTOMER', tokenVersion: 0 })}`);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect((await ask('Bearer not-a-token')).status).toBe(401);
    expect((await ask('Basic dTpw')).status).toBe(401);

    usersAnswers = false;
    try {
      const unanswered = await ask(`Bearer ${await tokens.sign({ id: 'u3', role: 'CUSTOMER', tokenVersion: 1 })}`);
      expect(unanswered.status).toBe(503);
      expect(unanswered.headers.get('retry-after')).toBe('1');
      expect(await unanswered.json()).toMatchObject({
        errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 } }],
      });
    } finally {
      usersAnswers = true;
    }
  });

  it('does not look up a gateway-signed request (checked at the edge) or a service’s token', async () => {
    versions.set('u2', 3);
    lookups.length = 0;
    expect(await whoAmI(await tokens.sign({ id: 'u2', role: 'CUSTOMER', tokenVersion: 3 }), true)).toBe('u2');
    expect(await whoAmI(await tokens.sign({ id: 'service:orders', role: 'SERVICE' }))).toBe('service:orders');
    expect(lookups).toEqual([]);
  });
});
