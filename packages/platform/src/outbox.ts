import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventBus, EventEnvelope } from '@shop/events';
import { prop, Severity } from '@typegoose/typegoose';
import mongoose, { type Model } from 'mongoose';
import { Gauge, register } from 'prom-client';
import { withDocumentLock } from './ferretdb-adapter.js';
import type { Logger } from './logger.js';
import { isDuplicateKeyError } from './mongo.js';
import { RelayLoop } from './relay-loop.js';

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

  // Set by the event's create() while tracing: the relay's publish continues the recording request's trace.
  @prop({ type: () => mongoose.Schema.Types.Mixed, allowMixed: Severity.ALLOW })
  traceContext?: Record<string, string>;
}

export const pendingEventsProp = { type: () => [PendingEvent], _id: false, default: [] } as const;

// biome-ignore lint/suspicious/noExplicitAny: any aggregate model with a pendingEvents array
const backlogModels = new Set<Model<any>>();

const OUTBOX_BACKLOG = 'outbox_pending_events';

/**
 * `outbox_pending_events`, registered by the first relay (so a process without one serves no such
 * metric). Counted at scrape time across all replicas' writes: the database's backlog, not this relay's.
 */
function registerOutboxBacklog(): void {
  if (register.getSingleMetric(OUTBOX_BACKLOG)) return;
  new Gauge({
    name: OUTBOX_BACKLOG,
    help: 'Events written with their state change and not yet confirmed by the broker, by collection',
    labelNames: ['collection'] as const,
    async collect() {
      for (const model of backlogModels) {
        const rows = await model
          // $unwind + $count: FerretDB 1.x has no $size in $project.
          .aggregate<{ total: number }>([
            { $match: { 'pendingEvents.0': { $exists: true } } },
            { $unwind: '$pendingEvents' },
            { $count: 'total' },
          ])
          .catch(() => undefined);
        // Unreachable database: the last known value stays rather than a false zero.
        if (rows) this.set({ collection: model.collection.name }, rows[0]?.total ?? 0);
      }
    },
  });
}

const BATCH_SIZE = 100;
const LEASES = 'outbox_leases';

interface Lease {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/**
 * Publishes the pending events of the given collections and removes each once the broker
 * confirmed it. At least once: a crash between confirm and removal republishes, and
 * consumers deduplicate by event id.
 *
 * Several replicas may run a relay: per collection, only the holder of a lease (a document in
 * `outbox_leases`, renewed on each pass, released on stop) publishes, so events are normally
 * sent once and a dead replica's share is taken over after `leaseMs`. The lease is an
 * optimization, not the guarantee: where two relays do overlap (a lease taken over from a
 * replica that was only slow, or FerretDB's unlocked read–modify–write), consumers' processed-
 * event records absorb the duplicates.
 */
export class OutboxRelay {
  private readonly loop: RelayLoop;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: any aggregate model with a pendingEvents array
    private readonly models: Model<any>[],
    private readonly bus: EventBus,
    private readonly log: Logger,
    intervalMs = 1_000,
    private readonly leaseMs = 10_000,
  ) {
    this.loop = new RelayLoop(() => this.drain(), log, intervalMs);
    registerOutboxBacklog();
  }

  start(): void {
    for (const model of this.models) backlogModels.add(model);
    this.loop.start();
  }

  /** Called right after a write so events leave without waiting for the next poll. */
  kick(): void {
    this.loop.kick();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    // Hand over at once rather than after the lease runs out.
    await Promise.all(
      this.models.map((model) =>
        model.db
          .collection<Lease>(LEASES)
          .deleteOne({ _id: model.collection.name, owner: this.owner })
          .catch(() => undefined),
      ),
    );
  }

  private async drain(): Promise<void> {
    if (!this.bus.isConnected()) return;
    for (const model of this.models) {
      if (!(await this.holdLease(model))) continue;
      // Walks every document with pending events in _id order, so a stuck one cannot starve the rest.
      let after: unknown;
      for (;;) {
        const documents = await model
          .find({ 'pendingEvents.0': { $exists: true }, ...(after === undefined ? {} : { _id: { $gt: after } }) })
          .select({ pendingEvents: 1 })
          .sort({ _id: 1 })
          .limit(BATCH_SIZE)
          .lean<{ _id: unknown; pendingEvents: EventEnvelope[] }[]>();
        for (const document of documents) await this.publishDocument(model, document);
        if (documents.length < BATCH_SIZE) break;
        after = documents.at(-1)?._id;
      }
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: any aggregate model with a pendingEvents array
  private async publishDocument(model: Model<any>, document: { _id: unknown; pendingEvents: EventEnvelope[] }) {
    for (const event of document.pendingEvents) {
      const { routed } = await this.bus.publish(event);
      if (!routed) {
        // Kept, with the document's later events (their order matters), until a consumer's queue is bound.
        this.log.warn({ eventId: event.id, type: event.type }, 'no queue bound for event; kept in the outbox');
        return;
      }
      // The whole stored element, not `{ id }`: FerretDB 1.x's $pull matches whole values only.
      // Publishing changes nothing the aggregate's readers see, so its updatedAt stays.
      await withDocumentLock(model.collection.name, document._id, () =>
        model.updateOne({ _id: document._id }, { $pull: { pendingEvents: event } }, { timestamps: false }),
      );
    }
  }

  /** Takes or renews this collection's lease; false while another live relay holds it. */
  // biome-ignore lint/suspicious/noExplicitAny: any aggregate model with a pendingEvents array
  private async holdLease(model: Model<any>): Promise<boolean> {
    const now = new Date();
    try {
      const lease = await model.db
        .collection<Lease>(LEASES)
        .findOneAndUpdate(
          { _id: model.collection.name, $or: [{ owner: this.owner }, { expiresAt: { $lt: now } }] },
          { $set: { owner: this.owner, expiresAt: new Date(now.getTime() + this.leaseMs) } },
          { upsert: true, returnDocument: 'after' },
        );
      return lease?.owner === this.owner;
    } catch (error) {
      // The upsert lost to the live holder's document.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }
}
