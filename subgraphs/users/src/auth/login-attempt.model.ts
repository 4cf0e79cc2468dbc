import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

/**
 * Login attempts per key (`ip:<address>`, `email-ip:<email> <address>`, `email:<email>`) in the current window. Kept in
 * the database, not in memory, so the limit holds across every replica of the users subgraph.
 */
@modelOptions({ schemaOptions: { collection: 'login_attempts' } })
export class LoginAttemptWindow {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => Number })
  count!: number;

  /** Indexed for the purge of ended windows. */
  @prop({ required: true, index: true, type: () => Date })
  windowEndsAt!: Date;
}

export const LoginAttemptModel = getModelForClass(LoginAttemptWindow);
