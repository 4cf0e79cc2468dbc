import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { ExpiringRecord } from './expiring-record.model.js';

/**
 * One counted attempt under one key: a login (`ip:<address>`, `email-ip:<email> <address>`,
 * `email:<email>`), a registration (`register:<address>`) or a password reset request (`reset-ip:<address>`,
 * `reset-email:<email>`). Kept in the database, not in memory, so the limits hold across every replica
 * of the users subgraph; one document per attempt, never a shared counter, because concurrent
 * updates of one document can be lost on FerretDB while inserts never are (see AuthThrottle). It
 * expires when it leaves the window.
 */
@index({ key: 1, at: 1 })
@modelOptions({ schemaOptions: { collection: 'login_attempt_log', versionKey: false } })
export class LoginAttemptRecord extends ExpiringRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  key!: string;

  @prop({ required: true, type: () => Date })
  at!: Date;

  /** The attempt that went past its key's limit: the key is locked for one window from `at`. */
  @prop({ type: () => Boolean })
  refused?: boolean;
}

export const LoginAttemptModel = getModelForClass(LoginAttemptRecord);
