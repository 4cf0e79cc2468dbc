import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

/**
 * An account deleted (`user.deleted`) whose notifications were forgotten: only its id and when.
 * Kept, so that a send retried or replayed from the dead-letter queue later is dropped unsent.
 */
@modelOptions({ schemaOptions: { collection: 'forgotten_accounts', versionKey: false } })
export class ForgottenAccountRecord {
  /** The user id. */
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => Date })
  forgottenAt!: Date;

  /** `hourOf(forgottenAt)`: the pass that forgets again reads the recent ones by this equality. */
  @prop({ required: true, index: true, type: () => Number })
  forgottenHour!: number;
}

export const ForgottenAccountModel = getModelForClass(ForgottenAccountRecord);

/** Whether the account was deleted and its notifications forgotten (one read by `_id`). */
export const isForgotten = async (userId: string): Promise<boolean> =>
  (await ForgottenAccountModel.exists({ _id: userId })) !== null;
