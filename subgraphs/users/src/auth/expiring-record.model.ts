import { hourOf } from '@shop/platform/core';
import { prop } from '@typegoose/typegoose';

/** The expiry fields of a record that falls due at `expiresAt`. */
export const expiringAt = (expiresAt: Date): Required<ExpiringRecord> => ({
  expiresAt,
  expiresHour: hourOf(expiresAt),
});

/**
 * A record that ExpiredRecordsPurge deletes once due (FerretDB 1.x has no TTL indexes): the models
 * it purges extend this, so the fields it deletes by are declared once.
 */
export abstract class ExpiringRecord {
  /** When the record falls due; indexed for the purge's range delete. */
  @prop({ required: true, index: true, type: () => Date })
  expiresAt!: Date;

  /** `hourOf(expiresAt)`: the purge deletes by this equality (absent on records older than it). */
  @prop({ index: true, type: () => Number })
  expiresHour?: number;
}
