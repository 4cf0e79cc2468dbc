import { outboxPlugin, PendingEvent, pendingEventsProp } from '@shop/platform/mongo';
import { getModelForClass, modelOptions, plugin, prop } from '@typegoose/typegoose';
import { ExpiringRecord } from '../auth/expiring-record.model.js';

/**
 * One password reset link sent: the hash of its token, and the email that carries it, in the
 * document's own outbox (so the link is stored and its email asked for in one insert); or the decoy
 * of a request for an address without an account, with neither. It expires with the link
 * (ExpiredRecordsPurge).
 */
@plugin(outboxPlugin)
@modelOptions({ schemaOptions: { collection: 'password_resets', versionKey: false } })
export class PasswordResetRecord extends ExpiringRecord {
  /** SHA-256 of the token (256 random bits, so a fast hash is enough): the link alone finds it. */
  @prop({ required: true, type: () => String })
  _id!: string;

  /** Absent on the decoy an address without an account gets (no email carries its token). */
  @prop({ type: () => String })
  userId?: string;

  /** The account's token version when the link was sent: a later bump (any reset, password change, logout everywhere) voids it. */
  @prop({ type: () => Number })
  tokenVersion?: number;

  /**
   * The address the link was mailed to: once the account has moved to another one, whoever reads
   * the old mailbox can no longer set its password with it.
   */
  @prop({ type: () => String })
  sentTo?: string;

  @prop({ required: true, type: () => Date })
  requestedAt!: Date;

  @prop(pendingEventsProp)
  pendingEvents!: PendingEvent[];
}

export const PasswordResetModel = getModelForClass(PasswordResetRecord);
