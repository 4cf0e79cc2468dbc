import { randomUUID } from 'node:crypto';
import { type Logger, UnauthenticatedError } from '@shop/platform/core';
import { writtenFirst } from '@shop/platform/mongo';
import { ExpiredRecordsPurge } from './expired-records.purge.js';
import { type ExpiringRecord, expiringAt } from './expiring-record.model.js';
import { RefreshTokenModel } from './refresh-token.model.js';
import { RefreshTokenClaimModel, revocationId, useClaimId } from './refresh-token-claim.model.js';
import { newSecretToken, secretTokenHash } from './secret-token.js';

const TOKEN_FORMAT = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;
const invalid = () => new UnauthenticatedError('Invalid refresh token');
// A claim outlives any family it could concern: a rotation racing the claim extends the family by one lifetime at most.
const CLAIM_MARGIN_MS = 3_600_000;
const expiringIn = (ms: number) => expiringAt(new Date(Date.now() + ms));

/**
 * Opaque refresh tokens `<family id>.<256 random bits>`, stored only as a hash. Each use
 * rotates the token; a replaced token presented again means it was copied, so the whole
 * family (the session) is revoked and whoever holds its current token must log in again.
 */
export class RefreshTokenStore {
  private readonly familiesPurge = new ExpiredRecordsPurge(RefreshTokenModel);
  private readonly claimsPurge = new ExpiredRecordsPurge(RefreshTokenClaimModel);

  constructor(private readonly ttlSeconds: number) {}

  /** A new session for a user who just proved their password, under the account's current token version. */
  async start(userId: string, tokenVersion: number): Promise<string> {
    const familyId = randomUUID();
    const token = this.newToken(familyId);
    await RefreshTokenModel.create({
      _id: familyId,
      userId,
      tokenVersion,
      tokenHash: secretTokenHash(token),
      ...this.expiry(),
    });
    return token;
  }

  /**
   * Exchanges a token for the next one of its family; returns the session's user and token version.
   * Across replicas, the exchange is claimed by inserting the token's hash: of two replicas shown
   * one token at once, one wins and the other finds it used, which is reuse like any replay.
   */
  async rotate(token: string, log: Logger): Promise<{ userId: string; tokenVersion: number; token: string }> {
    const familyId = TOKEN_FORMAT.exec(token)?.[1];
    if (!familyId) throw invalid();
    const hash = secretTokenHash(token);
    const [family, revoked] = await Promise.all([
      RefreshTokenModel.findById(familyId).lean(),
      RefreshTokenClaimModel.exists({ _id: revocationId(familyId) }),
    ]);
    if (!family || family.revokedAt || revoked) throw invalid();
    if (family.tokenHash === hash && family.expiresAt <= new Date()) throw invalid();
    // A token of the family's id that the family never issued is refused, the session untouched:
    // the id alone (it is in logs) must not end someone's session.
    if (family.tokenHash !== hash && !(await this.wasExchanged(familyId, hash))) throw invalid();
    if (family.tokenHash !== hash || !(await this.claimUse(familyId, hash))) {
      await this.revokeFamily(familyId, 'reuse');
      log.warn({ userId: family.userId, familyId }, 'refresh token reuse: session revoked');
      throw invalid();
    }
    const next = this.newToken(familyId);
    // The claim makes this the family's one writer of its next token.
    await RefreshTokenModel.updateOne(
      { _id: familyId, tokenHash: hash },
      { $set: { tokenHash: secretTokenHash(next), ...this.expiry() } },
    );
    return { userId: family.userId, tokenVersion: family.tokenVersion ?? 0, token: next };
  }

  /**
   * Logout: ends the session of any of its tokens (an earlier one is only known to its holder or
   * a thief; ending the session is right either way). Unknown tokens, and a family id with a
   * secret it never had, are ignored: logout never tells.
   */
  async revoke(token: string, reason = 'logout'): Promise<void> {
    const familyId = TOKEN_FORMAT.exec(token)?.[1];
    if (!familyId) return;
    const hash = secretTokenHash(token);
    const family = await RefreshTokenModel.findById(familyId, { tokenHash: 1 }).lean();
    if (family && (family.tokenHash === hash || (await this.wasExchanged(familyId, hash)))) {
      await this.revokeFamily(familyId, reason);
    }
  }

  /** Every session of a user (token version bumped): their next refresh fails and they log in again. */
  async revokeAll(userId: string, reason: string): Promise<void> {
    const families = await RefreshTokenModel.find({ userId, revokedAt: null }, { _id: 1 }).lean();
    await Promise.all(families.map((family) => this.revokeFamily(family._id, reason)));
  }

  /** Sessions past their lifetime, and claims that outlived them (FerretDB 1.x has no TTL indexes, so a job removes them). */
  async purgeExpired(now: Date): Promise<number> {
    await this.claimsPurge.run(now);
    return this.familiesPurge.run(now);
  }

  /** True when the token was one of this family's, exchanged since (its use claim is kept a lifetime past the exchange). */
  private async wasExchanged(familyId: string, hash: string): Promise<boolean> {
    return (await RefreshTokenClaimModel.exists({ _id: useClaimId(hash), familyId })) !== null;
  }

  /** True when this call is the token's one exchange. */
  private claimUse(familyId: string, hash: string): Promise<boolean> {
    return writtenFirst(() =>
      RefreshTokenClaimModel.create({ _id: useClaimId(hash), familyId, at: new Date(), ...this.claimExpiry() }),
    );
  }

  /**
   * The revocation claim decides (a second one finds it there); the family's `revokedAt` follows for
   * readers and may be overwritten by a rotation racing it, which the claim still refuses.
   */
  private async revokeFamily(familyId: string, reason: string): Promise<void> {
    const at = new Date();
    await writtenFirst(() =>
      RefreshTokenClaimModel.create({ _id: revocationId(familyId), familyId, at, reason, ...this.claimExpiry() }),
    );
    await RefreshTokenModel.updateOne(
      { _id: familyId, revokedAt: null },
      { $set: { revokedAt: at, revokedReason: reason } },
    );
  }

  private newToken(familyId: string): string {
    return `${familyId}.${newSecretToken()}`;
  }

  private expiry(): ExpiringRecord {
    return expiringIn(this.ttlSeconds * 1000);
  }

  private claimExpiry(): ExpiringRecord {
    return expiringIn(this.ttlSeconds * 1000 + CLAIM_MARGIN_MS);
  }
}
