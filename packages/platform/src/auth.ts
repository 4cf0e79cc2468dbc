import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from './errors.js';

/** SERVICE is held only by subgraphs calling each other's internal operations. */
export const ROLES = ['CUSTOMER', 'ADMIN', 'SERVICE'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  id: string;
  role: Role;
  /**
   * The account's token version when the token was issued (claim `ver`); a role change, password
   * change or logout everywhere bumps the account's, and older tokens are refused (see token-versions.ts).
   */
  tokenVersion?: number;
}

export interface TokenSettings {
  /** The first signs; every one verifies (rotation: see JWT_SECRET in config.ts). */
  JWT_SECRET: readonly string[];
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWT_TTL_SECONDS: number;
}

const ALGORITHM = 'HS256';
const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  ver: z.number().int().nonnegative().optional(),
});

export interface TokenService {
  sign(principal: Principal): Promise<string>;
  /** Throws UnauthenticatedError for anything but a valid, unexpired token of ours. */
  verify(token: string): Promise<Principal>;
  /** Reads an `Authorization: Bearer …` header; no header means anonymous (null). */
  fromHeader(header: string | undefined): Promise<Principal | null>;
  /** `Bearer …` header for a subgraph calling another's internal operations as itself. */
  serviceAuthorization(service: string): Promise<string>;
}

export function createTokenService(settings: TokenSettings): TokenService {
  // Imported once: handed raw bytes, jose imports the key into WebCrypto on every sign and verify,
  // which made a verification 3.5 times as slow (BENCHMARKS.md, "Token checks").
  const keys = settings.JWT_SECRET.map((secret) =>
    crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]),
  );
  const [key] = keys;
  if (!key) throw new Error('JWT_SECRET: at least one secret is needed');

  /** The token checked under the first secret whose signature matches it. */
  const verified = async (token: string) => {
    let mismatch: unknown;
    for (const candidate of keys) {
      try {
        return await jwtVerify(token, await candidate, {
          algorithms: [ALGORITHM],
          issuer: settings.JWT_ISSUER,
          audience: settings.JWT_AUDIENCE,
          requiredClaims: ['exp', 'iat', 'sub'],
        });
      } catch (error) {
        // Only another secret's signature is worth trying the next one; an expired token stays expired.
        if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw error;
        mismatch = error;
      }
    }
    throw mismatch;
  };

  const verify = async (token: string): Promise<Principal> => {
    try {
      const { payload } = await verified(token);
      const claims = claimsSchema.parse(payload);
      return claims.ver === undefined
        ? { id: claims.sub, role: claims.role }
        : { id: claims.sub, role: claims.role, tokenVersion: claims.ver };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Token expired');
      throw new UnauthenticatedError('Invalid token');
    }
  };

  const sign = async (principal: Principal) =>
    new SignJWT(
      principal.tokenVersion === undefined
        ? { role: principal.role }
        : { role: principal.role, ver: principal.tokenVersion },
    )
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(principal.id)
      .setIssuer(settings.JWT_ISSUER)
      .setAudience(settings.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${settings.JWT_TTL_SECONDS}s`)
      .sign(await key);

  // A service's own token is reused for half its lifetime instead of signed for every call it
  // makes (an HMAC over WebCrypto each time, on every order's path: BENCHMARKS.md, the profile).
  const serviceTokens = new Map<string, { header: Promise<string>; renewAt: number }>();
  const serviceAuthorization = (service: string): Promise<string> => {
    const cached = serviceTokens.get(service);
    if (cached && Date.now() < cached.renewAt) return cached.header;
    const header = sign({ id: `service:${service}`, role: 'SERVICE' }).then((token) => `Bearer ${token}`);
    serviceTokens.set(service, { header, renewAt: Date.now() + (settings.JWT_TTL_SECONDS * 1000) / 2 });
    header.catch(() => serviceTokens.delete(service));
    return header;
  };

  return {
    sign,
    verify,
    serviceAuthorization,
    fromHeader: async (header) => (header ? verify(bearerToken(header)) : null),
  };
}

function bearerToken(header: string): string {
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw new UnauthenticatedError('Malformed Authorization header');
  return match[1];
}

/**
 * When the token of a header that `fromHeader` has accepted expires (ms since the epoch; null
 * without a header): read, not verified again, for a caller that keeps a principal past its request
 * (a graphql-ws socket). `verify` requires `exp`; a token without one counts as expired.
 */
export function tokenExpiresAt(header: string | undefined): number | null {
  if (!header) return null;
  return (decodeJwt(bearerToken(header)).exp ?? 0) * 1000;
}

export interface BaseContext {
  principal: Principal | null;
}

/** The owner-or-admin rule: whether `principal` may see what `ownerId` owns. */
export function isOwnerOrAdmin(principal: Principal, ownerId: string): boolean {
  return principal.role === 'ADMIN' || principal.role === 'SERVICE' || principal.id === ownerId;
}

/**
 * Owner-or-admin rule used by every resource that belongs to one customer. Another customer's
 * resource answers exactly like an id that does not exist (`NotFoundError(entity, id)`), so ids
 * cannot be probed; FORBIDDEN is for what a role may not do to something it may see.
 */
export function assertOwnerOrAdmin(
  principal: Principal | null,
  ownerId: string,
  entity: string,
  id: string,
): Principal {
  if (!principal) throw new UnauthenticatedError();
  if (isOwnerOrAdmin(principal, ownerId)) return principal;
  throw new NotFoundError(entity, id);
}

export function requirePrincipal(principal: Principal | null): Principal {
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/** Role rule for services (the resolver's `@Authorized(role)` guards the API; this guards the domain). */
export function requireRole(principal: Principal | null, ...roles: Role[]): Principal {
  const checked = requirePrincipal(principal);
  if (!roles.includes(checked.role)) throw new ForbiddenError();
  return checked;
}
