import { outboxPlugin, PendingEvent, pendingEventsProp } from '@shop/platform/mongo';
import { getModelForClass, modelOptions, plugin, prop } from '@typegoose/typegoose';
import { UserRole } from './user.type.js';

@plugin(outboxPlugin)
@modelOptions({ schemaOptions: { collection: 'users', timestamps: true } })
export class UserRecord {
  /** Stored trimmed and lower-cased; the unique index is what makes registration race-free. */
  @prop({ required: true, unique: true, type: () => String })
  email!: string;

  /** argon2id hash; never selected unless asked for (`+passwordHash`). */
  @prop({ required: true, select: false, type: () => String })
  passwordHash!: string;

  @prop({ required: true, type: () => String })
  firstName!: string;

  @prop({ required: true, type: () => String })
  lastName!: string;

  /** E.164 (`+14155550100`); text messages go here. Absent: no SMS. */
  @prop({ type: () => String })
  phone?: string;

  @prop({ required: true, enum: UserRole, type: () => String, default: UserRole.CUSTOMER })
  role!: UserRole;

  /**
   * Carried by access tokens (`ver`) and sessions; bumped by a role change, a password change and
   * logout everywhere, which revokes every token issued before. Absent on older documents: 0.
   */
  @prop({ required: true, type: () => Number, default: 0 })
  tokenVersion!: number;

  /** When the owner proved they read this address (the emailed confirmation link); absent until then. */
  @prop({ type: () => Date })
  emailVerifiedAt?: Date;

  /**
   * SHA-256 of the token of the confirmation link sent last (256 random bits), until it is used;
   * a new link replaces it. Top-level and indexed: the link alone finds the account.
   */
  @prop({ type: () => String, index: true })
  emailVerificationHash?: string;

  /** Indexed for the range by which a process's first purge finds the links due (ExpiredLinksPurge). */
  @prop({ type: () => Date, index: true })
  emailVerificationExpiresAt?: Date;

  /** `hourOf(emailVerificationExpiresAt)`: ExpiredLinksPurge finds the links due by this equality. */
  @prop({ type: () => Number, index: true })
  emailVerificationExpiresHour?: number;

  /**
   * The address the current link confirms when it is a change (requestEmailChange), not this
   * account's own: opening the link makes it the account's address. Written and cleared with the link.
   */
  @prop({ type: () => String })
  pendingEmail?: string;

  /** The token version the change was asked at: a password change or logout everywhere since voids it. */
  @prop({ type: () => Number })
  pendingEmailTokenVersion?: number;

  /**
   * When the owner deleted the account (deleteMe): its address, names, phone and password were
   * erased then, and it never signs in again. The document stays because orders and payments name it.
   */
  @prop({ type: () => Date })
  deletedAt?: Date;

  /** Emails about the account (an address to confirm, a password or address changed), written with the change they tell of. */
  @prop(pendingEventsProp)
  pendingEvents!: PendingEvent[];

  createdAt!: Date;
  updatedAt!: Date;
}

export const UserModel = getModelForClass(UserRecord);

/** A confirmation link's fields, all unset once it is used, voided or expired. */
export const LINK_FIELDS = {
  emailVerificationHash: 1,
  emailVerificationExpiresAt: 1,
  emailVerificationExpiresHour: 1,
  pendingEmail: 1,
  pendingEmailTokenVersion: 1,
} as const;
