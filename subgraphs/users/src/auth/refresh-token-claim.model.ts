import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

/**
 * What must hold for a session across replicas, claimed by a unique insert because concurrent
 * updates of one document are not atomic on FerretDB: `use:<token hash>`, the token was exchanged
 * (at most once); `revoked:<family id>`, the session has ended (a rotation writing its family at
 * the same moment cannot undo that, as it could a field of the family's document).
 */
@modelOptions({ schemaOptions: { collection: 'refresh_token_claims', versionKey: false } })
export class RefreshTokenClaimRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  familyId!: string;

  @prop({ required: true, type: () => Date })
  at!: Date;

  @prop({ type: () => String })
  reason?: string;

  /** Past the latest its family could expire; indexed for the purge job. */
  @prop({ required: true, index: true, type: () => Date })
  expiresAt!: Date;

  /** `expiryHour(expiresAt)`: the purge deletes by this equality (see ExpiredRecordsPurge). */
  @prop({ index: true, type: () => Number })
  expiresHour?: number;
}

export const RefreshTokenClaimModel = getModelForClass(RefreshTokenClaimRecord);

export const useClaimId = (tokenHash: string): string => `use:${tokenHash}`;
export const revocationId = (familyId: string): string => `revoked:${familyId}`;
