import type { EventBus, EventEnvelope } from '@shop/events';
import { prop, Severity } from '@typegoose/typegoose';
import mongoose, { type Model } from 'mongoose';
import { withDocumentLock } from './document-lock.js';
import type { Logger } from './logger.js';

/**
 * An event waiting in its aggregate's own document. Writing the state change and the event
 * in one single-document update means a crash can never keep one without the other.
 */
export class PendingEvent implements EventEnvelope {
  @prop({ required: true, type: () => String })
  id!: string;

  @prop({ required: true, type: () => String })
  type!: string;

  @prop({ required: true, type: () => String })
  occurredAt!: string;

  @prop({ required: true, type: () => Number })
  version!: number;

  // Each event type has its own payload, validated by its zod schema in @shop/events.
  @prop({ required: true, type: () => mongoose.Schema.Types.Mixed, allowMixed: Severity.ALLOW })
  data!: unknown;
}

export const pendingEventsProp = { type: () => [PendingEvent], _id: false, default: [] } as const;

const BATCH_SIZE = 100;

/**
 * Publishes the pending events of the given collections and removes each once the broker
 * confirmed it. At least once: a crash between confirm and removal republishes, and
 * consumers deduplicate by event id.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: any aggregate model with a pendingEvents array
    private readonly models: Model<any>[],
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.kick();
  }

  /** Called right after a write so events leave without waiting for the next poll. */
  kick(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((error) => this.log.warn({ err: error }, 'outbox relay will retry'))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.draining;
  }

  private async drain(): Promise<void> {
    if (!this.bus.isConnected()) return;
    for (const model of this.models) {
      const documents = await model
        .find({ 'pendingEvents.0': { $exists: true } }, { pendingEvents: 1 })
        .limit(BATCH_SIZE)
        .lean<{ _id: unknown; pendingEvents: EventEnvelope[] }[]>();
      for (const document of documents) {
        for (const event of document.pendingEvents) {
          await this.bus.publish(event);
          // The whole stored element, not `{ id }`: FerretDB 1.x's $pull matches whole values only.
          await withDocumentLock(model.collection.name, document._id, () =>
            model.updateOne({ _id: document._id }, { $pull: { pendingEvents: event } }),
          );
        }
      }
    }
  }
}
