import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type Logger, UnauthenticatedError, withDocumentLock } from '@shop/platform';
import { RefreshTokenModel } from './refresh-token.model.js';

const TOKEN_FORMAT = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;
const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const invalid = () => new UnauthenticatedError('Invalid refresh token');

/**
 * Opaque refresh tokens `<family id>.<256 random bits>`, stored only as a hash. Each use
 * rotates the token; a replaced token presented again means it was copied, so the whole
 * family (the session) is revoked and whoever holds its current token must log in again.
 */
export class RefreshTokenStore {
  constructor(private readonly ttlSeconds: number) {}

  /** A new session for a user who just proved their password, under the account's current token version. */
  async start(userId: string, tokenVersion: number): Promise<string> {
    const familyId = randomUUID();
    const token = this.newToken(familyId);
    await RefreshTokenModel.create({
      _id: familyId,
      userId,
      tokenVersion,
      tokenHash: digest(token),
      expiresAt: this.expiry(),
    });
    return token;
  }

  /** Exchanges a token for the next one of its family; returns the session's user and token version. */
  async rotate(token: string, log: Logger): Promise<{ userId: string; tokenVersion: number; token: string }> {
    const familyId = TOKEN_FORMAT.exec(token)?.[1];
    if (!familyId) throw invalid();
    const next = this.newToken(familyId);
    const rotated = await withDocumentLock('refresh_tokens', familyId, () =>
      RefreshTokenModel.findOneAndUpdate(
        { _id: familyId, tokenHash: digest(token), revokedAt: null, expiresAt: { $gt: new Date() } },
        { $set: { tokenHash: digest(next), expiresAt: this.expiry() } },
        { returnDocument: 'after' },
      ).lean(),
    );
    if (rotated) return { userId: rotated.userId, tokenVersion: rotated.tokenVersion ?? 0, token: next };
    const reused = await withDocumentLock('refresh_tokens', familyId, () =>
      RefreshTokenModel.findOneAndUpdate(
        { _id: familyId, tokenHash: { $ne: digest(token) }, revokedAt: null },
        { $set: { revokedAt: new Date(), revokedReason: 'reuse' } },
      ).lean(),
    );
    if (reused) log.warn({ userId: reused.userId, familyId }, 'refresh token reuse: session revoked');
    throw invalid();
  }

  /**
   * Logout: ends the session of any of its tokens (an earlier one is only known to its holder or
   * a thief; ending the session is right either way). Unknown tokens are ignored: logout never tells.
   */
  async revoke(token: string, reason = 'logout'): Promise<void> {
    const familyId = TOKEN_FORMAT.exec(token)?.[1];
    if (familyId) await this.revokeFamily(familyId, reason);
  }

  /** Every session of a user (token version bumped): their next refresh fails and they log in again. */
  async revokeAll(userId: string, reason: string): Promise<void> {
    const families = await RefreshTokenModel.find({ userId, revokedAt: null }, { _id: 1 }).lean();
    await Promise.all(families.map((family) => this.revokeFamily(family._id, reason)));
  }

  /** Sessions past their lifetime (FerretDB 1.x has no TTL indexes, so a job removes them). */
  async purgeExpired(now: Date): Promise<number> {
    return (await RefreshTokenModel.deleteMany({ expiresAt: { $lt: now } })).deletedCount;
  }

  private revokeFamily(familyId: string, reason: string) {
    return withDocumentLock('refresh_tokens', familyId, () =>
      RefreshTokenModel.updateOne(
        { _id: familyId, revokedAt: null },
        { $set: { revokedAt: new Date(), revokedReason: reason } },
      ),
    );
  }

  private newToken(familyId: string): string {
    return `${familyId}.${randomBytes(32).toString('base64url')}`;
  }

  private expiry(): Date {
    return new Date(Date.now() + this.ttlSeconds * 1000);
  }
}
