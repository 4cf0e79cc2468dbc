import mongoose from 'mongoose';
import { type MongoSettings, mongoClientOptions } from './mongo.js';
import { type OperatorCommand, UsageError } from './operator-commands.js';
import { raiseMissedOutboxFlags } from './outbox.js';

/**
 * `outbox-backfill`: once, after upgrading from a release whose outboxes had no `outboxPending`
 * flag. Raises it on every document of the service's aggregate `collection` that still holds
 * events (raiseMissedOutboxFlags), so the relay's sweep publishes them. Safe to repeat, and on
 * MongoDB to run while the services are up; on FerretDB its update may write over a transition made
 * at the same moment (ferretdb.md), so the services are stopped first.
 */
export function outboxBackfillCommand(settings: MongoSettings, service: string, collection: string): OperatorCommand {
  return {
    usage: '',
    run: async (args, print) => {
      if (args.length > 0) throw new UsageError();
      const database = `${settings.MONGO_DB_PREFIX}_${service}`;
      const client = await mongoose.mongo.MongoClient.connect(settings.MONGO_URL, mongoClientOptions(settings));
      try {
        const raised = await raiseMissedOutboxFlags(client.db(database).collection(collection));
        print(`${database}.${collection}: ${raised} documents flagged`);
        return 0;
      } finally {
        await client.close();
      }
    },
  };
}
