import DataLoader from 'dataloader';
import type { Principal, TokenService } from './auth.js';
import { millisecondsVar, urlVar } from './config.js';
import { UnauthenticatedError } from './errors.js';
import { callSubgraph } from './subgraph-client.js';

export const tokenVersionShape = {
  /**
   * How long a process may believe an account's token version (ms): the longest a revoked access
   * token (role change, password change, logout everywhere) is still accepted. 0: ask every time.
   */
  TOKEN_VERSION_CACHE_MS: millisecondsVar(5_000, 0, 60_000),
};

/** userId → the account's current token version; an id missing from the answer has no account. */
export type TokenVersionLoader = (userIds: readonly string[]) => Promise<ReadonlyMap<string, number>>;

export interface TokenVersionCheck {
  /**
   * Throws UnauthenticatedError('Token revoked') when the principal's token was issued before the
   * account's last bump (or the account is gone). Services hold no account: they always pass.
   */
  assertCurrent(principal: Principal): Promise<void>;
}

export interface TokenVersionCheckOptions {
  load: TokenVersionLoader;
  /** TOKEN_VERSION_CACHE_MS. */
  cacheMs: number;
  /** Accounts remembered at once; the oldest entry goes first. */
  maxEntries?: number;
}

/**
 * The revocation check: a short per-process cache of `userId → tokenVersion` in front of the
 * users subgraph. Misses of the same tick go in one batch (DataLoader), and one lookup in flight
 * per account is shared. A failed lookup fails the request (closed), it is never skipped.
 */
export function createTokenVersionCheck(options: TokenVersionCheckOptions): TokenVersionCheck {
  const maxEntries = options.maxEntries ?? 100_000;
  const cache = new Map<string, { version: number | null; until: number }>();
  const inFlight = new Map<string, Promise<number | null>>();
  const loader = new DataLoader<string, number | null>(
    async (ids) => {
      const found = await options.load([...new Set(ids)]);
      return ids.map((id) => found.get(id) ?? null);
    },
    // The users subgraph answers at most 1,000 ids per query.
    { cache: false, maxBatchSize: 500 },
  );
  const remember = (id: string, version: number | null) => {
    if (options.cacheMs <= 0) return;
    cache.delete(id);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(id, { version, until: Date.now() + options.cacheMs });
  };
  const current = (id: string, fresh = false): Promise<number | null> => {
    const hit = fresh ? undefined : cache.get(id);
    if (hit && hit.until > Date.now()) return Promise.resolve(hit.version);
    let pending = inFlight.get(id);
    if (!pending) {
      pending = loader.load(id).then(
        (version) => {
          inFlight.delete(id);
          remember(id, version);
          return version;
        },
        (error: unknown) => {
          inFlight.delete(id);
          throw error;
        },
      );
      inFlight.set(id, pending);
    }
    return pending;
  };
  return {
    assertCurrent: async (principal) => {
      if (principal.role === 'SERVICE') return;
      const presented = principal.tokenVersion ?? 0;
      let version = await current(principal.id);
      // A token newer than the remembered version was issued after a bump this process has not seen
      // (a new login after a password change): ask again rather than refuse it until the entry expires.
      if (version !== null && presented > version) version = await current(principal.id, true);
      if (version === null || version !== presented) {
        throw new UnauthenticatedError('Token revoked');
      }
    },
  };
}

/** The same token service, whose `verify` and `fromHeader` also refuse revoked tokens. */
export function withTokenVersionCheck(tokens: TokenService, check: TokenVersionCheck): TokenService {
  const verify = async (token: string) => {
    const principal = await tokens.verify(token);
    await check.assertCurrent(principal);
    return principal;
  };
  return {
    ...tokens,
    verify,
    fromHeader: async (header) => {
      const principal = await tokens.fromHeader(header);
      if (principal) await check.assertCurrent(principal);
      return principal;
    },
  };
}

const TOKEN_VERSIONS = 'query TokenVersions($userIds: [ID!]!) { tokenVersions(userIds: $userIds) { userId version } }';

/** Loads token versions from the users subgraph's service-only `tokenVersions` query. */
export function remoteTokenVersions(
  usersUrl: string,
  tokens: Pick<TokenService, 'serviceAuthorization'>,
  service: string,
): TokenVersionLoader {
  return async (userIds) => {
    const data = await callSubgraph<{ tokenVersions: { userId: string; version: number }[] }>(
      usersUrl,
      TOKEN_VERSIONS,
      { userIds },
      { authorization: await tokens.serviceAuthorization(service) },
    );
    return new Map(data.tokenVersions.map((entry) => [entry.userId, entry.version]));
  };
}

/** A subgraph's revocation settings: where the users subgraph answers, and how long to believe it. */
export const subgraphRevocationShape = {
  ...tokenVersionShape,
  USERS_URL: urlVar('http://127.0.0.1:3001/graphql'),
};

/**
 * The revocation check of a subgraph other than users, for the requests the gateway did not sign
 * (see startSubgraph): token versions from the users subgraph, as the service itself.
 */
export function subgraphRevocation(
  config: { USERS_URL: string; TOKEN_VERSION_CACHE_MS: number },
  tokens: Pick<TokenService, 'serviceAuthorization'>,
  service: string,
): TokenVersionCheck {
  return createTokenVersionCheck({
    load: remoteTokenVersions(config.USERS_URL, tokens, service),
    cacheMs: config.TOKEN_VERSION_CACHE_MS,
  });
}
