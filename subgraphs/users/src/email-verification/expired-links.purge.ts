import { withDocumentLock } from '@shop/platform/mongo';
import { DueHours } from '../auth/expired-records.purge.js';
import { LINK_FIELDS, UserModel } from '../user/user.model.js';

/**
 * Clears the confirmation links that expired unused: their hash and date, and the address an
 * expired change would have moved the account to, so no unconfirmed address stays in an account.
 * Found by hour of expiry as ExpiredRecordsPurge finds its records (DueHours); each account is
 * cleared only while it still holds that link, under its document lock as every write of an account
 * (on FerretDB, a conditional update is atomic only within one process: ferretdb-adapter.ts), so a
 * link written meanwhile stays.
 */
export class ExpiredLinksPurge {
  private readonly due = new DueHours({ at: 'emailVerificationExpiresAt', hour: 'emailVerificationExpiresHour' });

  run(now: Date): Promise<number> {
    return this.due.pass(now, async (filter) => {
      let cleared = 0;
      const due = await UserModel.find(filter)
        .select({ emailVerificationHash: 1 })
        .lean<{ _id: unknown; emailVerificationHash?: string }[]>();
      for (const { _id, emailVerificationHash } of due) {
        const { modifiedCount } = await withDocumentLock(UserModel.collection.name, String(_id), () =>
          UserModel.updateOne(
            { _id, emailVerificationHash, emailVerificationExpiresAt: { $lt: now } },
            { $unset: LINK_FIELDS },
          ),
        );
        cleared += modifiedCount;
      }
      return cleared;
    });
  }
}
