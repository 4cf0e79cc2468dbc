import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { ExpiringRecord } from './expiring-record.model.js';

/**
 * One document per session ("family"): the hash of its one valid refresh token. Rotation swaps
 * the hash in a single conditional update, so a token is accepted once; presenting a replaced
 * token is reuse, and revokes the family. It expires with its current token.
 */
@modelOptions({ schemaOptions: { collection: 'refresh_tokens', timestamps: true } })
export class RefreshTokenFamily extends ExpiringRecord {
  /** The family id, also the readable prefix of each of its tokens. */
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, index: true, type: () => String })
  userId!: string;

  /** SHA-256 of the current token (tokens are 256 random bits, so a fast hash is enough). */
  @prop({ required: true, type: () => String })
  tokenHash!: string;

  /** The account's token version when the session started: a later bump (see UserRecord) ends it. */
  @prop({ required: true, type: () => Number, default: 0 })
  tokenVersion!: number;

  @prop({ type: () => Date, default: null })
  revokedAt!: Date | null;

  @prop({ type: () => String, default: null })
  revokedReason!: string | null;
}

export const RefreshTokenModel = getModelForClass(RefreshTokenFamily);
