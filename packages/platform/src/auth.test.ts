import 'reflect-metadata';
import { SignJWT } from 'jose';
import { Authorized, Query, Resolver } from 'type-graphql';
import { describe, expect, it, vi } from 'vitest';
import { createTokenService, type TokenSettings, tokenExpiresAt } from './auth.js';
import { parseConfig, portVar, urlVar } from './config.js';
import { Public, unguardedOperations } from './resolver-guards.js';

const SECRET = 'platform-test-secret-long-enough-for-hs256';
const settings: TokenSettings = {
  JWT_SECRET: [SECRET],
  JWT_ISSUER: 'shop',
  JWT_AUDIENCE: 'shop-api',
  JWT_TTL_SECONDS: 600,
};
const tokens = createTokenService(settings);
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token with our claims, built by hand so each test changes exactly one thing. */
function claims(overrides: Record<string, unknown> = {}) {
  return { sub: 'user-1', role: 'CUSTOMER', iss: 'shop', aud: 'shop-api', iat: now(), exp: now() + 600, ...overrides };
}

const sign = (payload: Record<string, unknown>, alg = 'HS256', secret = key) =>
  new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);

async function rejection(token: string): Promise<{ code: unknown; message: string }> {
  const error = await tokens.verify(token).then(
    () => {
      throw new Error('token was accepted');
    },
    (e: { extensions?: { code?: unknown }; message: string }) => e,
  );
  return { code: error.extensions?.code, message: error.message };
}

describe('token service', () => {
  it('signs sub, role, iat, exp, iss and aud with HS256 and verifies its own tokens', async () => {
    const token = await tokens.sign({ id: 'user-1', role: 'ADMIN' });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'user-1', role: 'ADMIN', iss: 'shop', aud: 'shop-api' });
    expect(payload.exp - payload.iat).toBe(600);
    expect(await tokens.verify(token)).toEqual({ id: 'user-1', role: 'ADMIN' });
    // The hand-built tokens below differ from this one only in what each test changes.
    expect(await tokens.verify(await sign(claims()))).toEqual({ id: 'user-1', role: 'CUSTOMER' });
  });

  it('rejects a tampered payload (signature no longer matches)', async () => {
    const [header, , signature] = (await tokens.sign({ id: 'user-1', role: 'CUSTOMER' })).split('.');
    const forged = `${header}.${b64url(claims({ role: 'ADMIN' }))}.${signature}`;
    expect(await rejection(forged)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid token' });
  });

  it('rejects a tampered signature', async () => {
    const token = await tokens.sign({ id: 'user-1', role: 'CUSTOMER' });
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    expect((await rejection(`${token.slice(0, -2)}${last}${token.at(-1)}`)).code).toBe('UNAUTHENTICATED');
  });

  it('rejects alg "none" (unsigned) tokens', async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims({ role: 'ADMIN' }))}.`;
    expect((await rejection(unsigned)).code).toBe('UNAUTHENTICATED');
  });

  it('rejects another HMAC algorithm even with the right secret (algorithm pinned)', async () => {
    expect((await rejection(await sign(claims(), 'HS512'))).code).toBe('UNAUTHENTICATED');
  });

  it('rejects a token signed with another secret', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-also-long-enough');
    expect((await rejection(await sign(claims(), 'HS256', other))).code).toBe('UNAUTHENTICATED');
  });

  it('verifies with every secret of a rotation and signs with the first', async () => {
    const NEXT = 'the-next-secret-that-is-long-enough-too';
    const rolledIn = createTokenService({ ...settings, JWT_SECRET: [SECRET, NEXT] }); // step 1: verifies the next one
    const rotated = createTokenService({ ...settings, JWT_SECRET: [NEXT, SECRET] }); // step 2: signs with it
    const next = new TextEncoder().encode(NEXT);

    // A replica of either step accepts what the other signs, so a rolling restart refuses no one.
    expect(await rotated.verify(await rolledIn.sign({ id: 'user-1', role: 'CUSTOMER' }))).toEqual({
      id: 'user-1',
      role: 'CUSTOMER',
    });
    const signedWithNext = await rotated.sign({ id: 'user-2', role: 'ADMIN' });
    expect(await rolledIn.verify(signedWithNext)).toEqual({ id: 'user-2', role: 'ADMIN' });
    expect(await rotated.verify(await sign(claims()))).toEqual({ id: 'user-1', role: 'CUSTOMER' });
    // One that does not know the next secret refuses its tokens: the first step must be rolled out everywhere first.
    expect(await rejection(signedWithNext)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid token' });
    // A token under the second secret is judged by its claims there: expired stays expired.
    await expect(
      rotated.verify(await sign(claims({ iat: now() - 700, exp: now() - 100 }), 'HS256', key)),
    ).rejects.toThrow('Token expired');
    await expect(rolledIn.verify(await sign(claims({ aud: 'other-api' }), 'HS256', next))).rejects.toThrow(
      'Invalid token',
    );
    const other = new TextEncoder().encode('another-secret-that-is-also-long-enough');
    await expect(rotated.verify(await sign(claims(), 'HS256', other))).rejects.toThrow('Invalid token');
  });

  it('rejects a wrong audience and a wrong issuer', async () => {
    expect((await rejection(await sign(claims({ aud: 'other-api' })))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(await sign(claims({ iss: 'someone-else' })))).code).toBe('UNAUTHENTICATED');
  });

  it('rejects an expired token, saying so', async () => {
    const expired = await sign(claims({ iat: now() - 700, exp: now() - 100 }));
    expect(await rejection(expired)).toEqual({ code: 'UNAUTHENTICATED', message: 'Token expired' });
  });

  it('rejects tokens missing a required claim or with an unknown role', async () => {
    const { exp: _exp, ...withoutExp } = claims();
    expect((await rejection(await sign(withoutExp))).code).toBe('UNAUTHENTICATED');
    const { sub: _sub, ...withoutSub } = claims();
    expect((await rejection(await sign(withoutSub))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(await sign(claims({ role: 'ROOT' })))).code).toBe('UNAUTHENTICATED');
  });

  it('treats no header as anonymous and a malformed one as UNAUTHENTICATED', async () => {
    expect(await tokens.fromHeader(undefined)).toBeNull();
    await expect(tokens.fromHeader('Basic dXNlcjpwYXNz')).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it("reads when an accepted header's token expires, without verifying it again", async () => {
    const exp = now() + 123;
    expect(tokenExpiresAt(`Bearer ${await sign(claims({ exp }))}`)).toBe(exp * 1000);
    const before = now();
    const issued = await tokens.sign({ id: 'user-1', role: 'CUSTOMER' });
    const expiresAt = tokenExpiresAt(`bearer  ${issued}`) ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual((before + settings.JWT_TTL_SECONDS) * 1000);
    expect(expiresAt).toBeLessThanOrEqual((now() + settings.JWT_TTL_SECONDS) * 1000);
    expect(tokenExpiresAt(undefined)).toBeNull();
    expect(() => tokenExpiresAt('Basic dXNlcjpwYXNz')).toThrow('Malformed Authorization header');
  });
});

describe('service tokens', () => {
  it('reuses one for half its lifetime, then signs a fresh one', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-03T00:00:00Z'), toFake: ['Date'] });
    try {
      const service = createTokenService(settings);
      const first = await service.serviceAuthorization('orders');
      // Signed again, a token of a later second would differ (its iat and exp).
      vi.setSystemTime(new Date('2026-12-03T00:00:10Z'));
      expect(await service.serviceAuthorization('orders')).toBe(first);
      expect(await service.serviceAuthorization('payments')).not.toBe(first);
      vi.setSystemTime(new Date('2026-12-03T00:05:01Z')); // past half of JWT_TTL_SECONDS = 600
      const renewed = await service.serviceAuthorization('orders');
      expect(renewed).not.toBe(first);
      expect(await service.verify(renewed.replace(/^Bearer /, ''))).toEqual({ id: 'service:orders', role: 'SERVICE' });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('secrets configuration', () => {
  const SIGNING = { GATEWAY_SIGNING_SECRETS: 'a-gateway-signing-secret-of-32-characters' };

  it('refuses to start outside development without a secret or with a short one', () => {
    expect(() => parseConfig({}, { NODE_ENV: 'production', ...SIGNING })).toThrow(
      /JWT_SECRET: required outside development/,
    );
    expect(() => parseConfig({}, { NODE_ENV: 'test', JWT_SECRET: 'too-short', ...SIGNING })).toThrow(
      /JWT_SECRET: must be at least/,
    );
    expect(parseConfig({}, { NODE_ENV: 'production', JWT_SECRET: SECRET, ...SIGNING }).JWT_SECRET).toEqual([SECRET]);
  });

  it('refuses the development secrets written in this repository outside development', () => {
    const published = 'development-only-secret-not-for-production-use';
    const signing = 'development-only-gateway-signing-secret-not-for-production';
    expect(() => parseConfig({}, { NODE_ENV: 'production', JWT_SECRET: published, ...SIGNING })).toThrow(
      /^Invalid configuration: JWT_SECRET: a development value, public, refused outside development$/,
    );
    expect(() =>
      parseConfig({}, { NODE_ENV: 'test', JWT_SECRET: `${SECRET},${published}`, GATEWAY_SIGNING_SECRETS: signing }),
    ).toThrow(/JWT_SECRET: a development value[^;]+; GATEWAY_SIGNING_SECRETS: a development value/);
    // compose-dev-env.sh's value for the backing services' passwords, should one be copied.
    expect(() =>
      parseConfig({}, { NODE_ENV: 'production', JWT_SECRET: 'development-only-not-a-secret-0123456789', ...SIGNING }),
    ).toThrow(/JWT_SECRET: a development value/);
    // In development they are what it runs with when nothing is set.
    expect(parseConfig({}, { NODE_ENV: 'development' }).JWT_SECRET).toEqual([published]);
    expect(parseConfig({}, { NODE_ENV: 'development', JWT_SECRET: published }).JWT_SECRET).toEqual([published]);
  });

  it("says what is wrong in one line (a container's only log line), naming each bad variable", () => {
    const shape = { SOME_PORT: portVar(1), SOME_URL: urlVar('http://127.0.0.1') };
    expect(() => parseConfig(shape, { SOME_PORT: 'x', SOME_URL: 'nope' })).toThrow(
      /^Invalid configuration: SOME_PORT: [^;\n]+; SOME_URL: [^;\n]+$/,
    );
    expect(() => parseConfig({}, {})).toThrow(/^Invalid configuration: JWT_SECRET: required outside development$/);
  });

  it('treats an unset NODE_ENV as production: no secret, no start; development must be asked for by name', () => {
    expect(() => parseConfig({}, {})).toThrow(/JWT_SECRET: required outside development/);
    expect(() => parseConfig({}, { NODE_ENV: '' })).toThrow(/JWT_SECRET: required outside development/);
    expect(parseConfig({}, { JWT_SECRET: SECRET, ...SIGNING }).NODE_ENV).toBe('production');
    const development = parseConfig({}, { NODE_ENV: 'development' });
    expect(development.JWT_SECRET).toEqual([expect.stringMatching(/^.{32,}$/)]);
    expect(development.GATEWAY_SIGNING_SECRETS).toHaveLength(1);
  });

  it('reads JWT_SECRET as secrets in rotation order, each long enough', () => {
    const base = { NODE_ENV: 'production', ...SIGNING };
    const rotating = `the-next-secret-that-is-long-enough-too, ${SECRET}`;
    expect(parseConfig({}, { ...base, JWT_SECRET: rotating }).JWT_SECRET).toEqual([
      'the-next-secret-that-is-long-enough-too',
      SECRET,
    ]);
    expect(() => parseConfig({}, { ...base, JWT_SECRET: `${SECRET},short` })).toThrow(
      /JWT_SECRET: must be at least 32/,
    );
    expect(() => parseConfig({}, { ...base, JWT_SECRET: ' , ' })).toThrow(/JWT_SECRET: required outside development/);
  });

  it('needs the gateway signing secrets outside development, each long enough, in rotation order', () => {
    const base = { NODE_ENV: 'production', JWT_SECRET: SECRET };
    expect(() => parseConfig({}, base)).toThrow(/GATEWAY_SIGNING_SECRETS: required outside development/);
    expect(() =>
      parseConfig({}, { ...base, GATEWAY_SIGNING_SECRETS: `${SIGNING.GATEWAY_SIGNING_SECRETS},short` }),
    ).toThrow(/GATEWAY_SIGNING_SECRETS: each must be at least 32 characters/);
    const rotating = `new-signing-secret-of-32-characters-x, ${SIGNING.GATEWAY_SIGNING_SECRETS}`;
    expect(parseConfig({}, { ...base, GATEWAY_SIGNING_SECRETS: rotating }).GATEWAY_SIGNING_SECRETS).toEqual([
      'new-signing-secret-of-32-characters-x',
      SIGNING.GATEWAY_SIGNING_SECRETS,
    ]);
  });
});

@Resolver()
class SampleResolver {
  @Public()
  @Query(() => String)
  open(): string {
    return 'open';
  }

  @Authorized('ADMIN')
  @Query(() => String)
  guarded(): string {
    return 'guarded';
  }

  @Query(() => String)
  forgotten(): string {
    return 'forgotten';
  }
}

@Authorized()
@Resolver()
class GuardedResolver {
  @Query(() => String)
  inherited(): string {
    return 'inherited';
  }
}

describe('unguardedOperations', () => {
  it('lists exactly the operations with neither @Authorized nor @Public', () => {
    expect(unguardedOperations([SampleResolver, GuardedResolver])).toEqual(['SampleResolver.forgotten']);
  });
});
