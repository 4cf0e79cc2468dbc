import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { ExpiringRecord } from './expiring-record.model.js';

/**
 * What must hold for a session across replicas, claimed by a unique insert because concurrent
 * updates of one document are not atomic on FerretDB: `use:<token hash>`, the token was exchanged
 * (at most once); `revoked:<family id>`, the session has ended (a rotation writing its family at
 * the same moment cannot undo that, as it could a field of the family's document). It expires past
 * the latest its family could.
 */
@modelOptions({ schemaOptions: { collection: 'refresh_token_claims', versionKey: false } })
export class RefreshTokenClaimRecord extends ExpiringRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  familyId!: string;

  @prop({ required: true, type: () => Date })
  at!: Date;

  @prop({ type: () => String })
  reason?: string;
}

export const RefreshTokenClaimModel = getModelForClass(RefreshTokenClaimRecord);

export const useClaimId = (tokenHash: string): string => `use:${tokenHash}`;
export const revocationId = (familyId: string): string => `revoked:${familyId}`;
