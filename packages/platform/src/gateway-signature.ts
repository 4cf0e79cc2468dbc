import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-gateway-signature';
export const SIGNED_AT_HEADER = 'x-gateway-signed-at';
/** How old a signature may be (clock skew between hosts, plus a slow hop); older ones are replays. */
export const SIGNATURE_MAX_AGE_MS = 60_000;
const VERSION = 'v1';

/** What the gateway vouches for: the request itself and the client behind it. */
export interface SignedRequest {
  method: string;
  /** Path and query, as the subgraph sees it (`/graphql`). */
  path: string;
  clientIp: string;
  authorization: string;
  body: Uint8Array | string;
}

export interface GatewayRequestSigner {
  /** The headers that vouch for this request (sent by the gateway). */
  sign(request: SignedRequest, now?: number): Record<string, string>;
  /** True when the headers carry a fresh signature of exactly this request by one of the secrets. */
  verify(request: SignedRequest, headers: { signature?: string; signedAt?: string }, now?: number): boolean;
}

/**
 * HMAC-SHA256 over the method, path, client address, authorization and a digest of the body,
 * with a timestamp, so a subgraph believes `x-client-ip` only from the gateway: a forged or
 * replayed header (or a signed one moved to another request) does not verify. The first secret
 * signs; every configured one verifies, which is how the secret is rotated without downtime.
 */
export function createGatewayRequestSigner(secrets: readonly string[]): GatewayRequestSigner {
  const keys = secrets.map((secret) => Buffer.from(secret));
  const [signingKey] = keys;
  if (!signingKey) throw new Error('at least one gateway signing secret is needed');
  const mac = (key: Buffer, request: SignedRequest, signedAt: string) =>
    createHmac('sha256', key)
      .update(
        [
          VERSION,
          signedAt,
          request.method.toUpperCase(),
          request.path,
          request.clientIp,
          request.authorization,
          createHash('sha256').update(request.body).digest('base64url'),
        ].join('\n'),
      )
      .digest();

  return {
    sign: (request, now = Date.now()) => {
      const signedAt = String(now);
      return {
        [SIGNATURE_HEADER]: `${VERSION}=${mac(signingKey, request, signedAt).toString('base64url')}`,
        [SIGNED_AT_HEADER]: signedAt,
      };
    },
    verify: (request, headers, now = Date.now()) => {
      const signedAt = headers.signedAt ?? '';
      const age = now - Number(signedAt);
      if (!/^\d{1,15}$/.test(signedAt) || !(Math.abs(age) <= SIGNATURE_MAX_AGE_MS)) return false;
      const given = headers.signature?.startsWith(`${VERSION}=`)
        ? Buffer.from(headers.signature.slice(VERSION.length + 1), 'base64url')
        : undefined;
      if (!given) return false;
      return keys.some((key) => {
        const expected = mac(key, request, signedAt);
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}
