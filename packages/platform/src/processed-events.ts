import type { EventEnvelope } from '@shop/events';
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { isDuplicateKeyError } from './mongo.js';

/** One consumer's record that it applied one event; `_id` is unique, hence at most one per pair. */
@modelOptions({ schemaOptions: { collection: 'processed_events', versionKey: false } })
export class ProcessedEventRecord {
  /** `<consumer>:<event id>`. */
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  consumer!: string;

  @prop({ required: true, type: () => String })
  eventId!: string;

  @prop({ required: true, type: () => String })
  type!: string;

  @prop({ required: true, type: () => Date })
  processedAt!: Date;
}

/** The `processed_events` model, registered with mongoose on first call (not on import). */
export const processedEventModel = () => getModelForClass(ProcessedEventRecord);

/**
 * Applies each event at most once per consumer, recorded in the consumer's own database.
 *
 * A recorded event is skipped. The record is written after the effect, because without
 * multi-document transactions (FerretDB) it cannot share the effect's write; a consumer that
 * dies between the two runs the effect again on redelivery. Effects passed here must therefore
 * also be safe to repeat on their own — a conditional update on the aggregate's state, or an
 * insert keyed by the event id — and the record makes every later delivery a cheap no-op.
 */
export class ProcessedEvents {
  private readonly model = processedEventModel();

  constructor(private readonly consumer: string) {}

  /** Runs `effect` unless this consumer already recorded the event; true when it ran. */
  async once(event: EventEnvelope, effect: () => Promise<void>): Promise<boolean> {
    const _id = `${this.consumer}:${event.id}`;
    if (await this.model.exists({ _id })) return false;
    await effect();
    try {
      await this.model.create({
        _id,
        consumer: this.consumer,
        eventId: event.id,
        type: event.type,
        processedAt: new Date(),
      });
    } catch (error) {
      // A concurrent delivery of the same event finished first; both effects were idempotent.
      if (!isDuplicateKeyError(error)) throw error;
    }
    return true;
  }

  /** Whether this consumer has recorded the event (for tests and the DLQ tool). */
  async has(eventId: string): Promise<boolean> {
    return (await this.model.exists({ _id: `${this.consumer}:${eventId}` })) !== null;
  }
}
