import { getModelForClass, plugin, prop } from '@typegoose/typegoose';
import { outboxPlugin, type PendingEvent, pendingEventsProp } from './outbox.js';

/** The smallest aggregate an outbox relay can publish from: an id and its pending events. */
@plugin(outboxPlugin)
class AggregateRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop(pendingEventsProp)
  pendingEvents!: PendingEvent[];
}

/** A model of test aggregates in `collection` (one model per collection). */
export const testAggregateModel = (collection: string) =>
  getModelForClass(AggregateRecord, { schemaOptions: { collection }, options: { customName: collection } });
