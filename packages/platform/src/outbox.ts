import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventBus, EventEnvelope } from '@shop/events';
import { prop, Severity } from '@typegoose/typegoose';
import mongoose, { type Model } from 'mongoose';
import { withDocumentLock } from './ferretdb-adapter.js';
import type { Logger } from './logger.js';
import { isDuplicateKeyError, writtenFirst } from './mongo.js';
import { runForScrape } from './mongo-commands.js';
import { countParkedEvents, reportOutbox } from './outbox-metrics.js';
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

/**
 * The outbox's index: `outboxPending: true` on every document holding events, absent otherwise,
 * so the sweep is one indexed equality (FerretDB serves no `$exists` or array position from an
 * index). Every write that adds events raises it here, in one place: a create or save with pending
 * events, an update that `$push`es to `pendingEvents`, and one that `$set`s it to events (an
 * account's erasure replaces its unsent emails with `user.deleted`). Only the relay lowers it, when
 * it empties the outbox of a document.
 */
export function outboxPlugin(schema: mongoose.Schema): void {
  schema.add({ outboxPending: { type: Boolean } });
  schema.index({ outboxPending: 1 });
  schema.pre('save', function raiseFlag() {
    const events = this.get('pendingEvents') as unknown[] | undefined;
    if (events && events.length > 0) this.set('outboxPending', true);
  });
  const raiseOnAdd = function (this: mongoose.Query<unknown, unknown>) {
    const update = this.getUpdate() as mongoose.UpdateQuery<{ pendingEvents?: unknown[] }> | null;
    if (!update) return;
    const pushed = update.$push !== undefined && 'pendingEvents' in update.$push;
    const replaced = update.$set?.pendingEvents ?? update.pendingEvents;
    if (pushed || (Array.isArray(replaced) && replaced.length > 0)) {
      update.$set = { ...update.$set, outboxPending: true };
    }
  };
  schema.pre('findOneAndUpdate', raiseOnAdd);
  schema.pre('updateOne', raiseOnAdd);
}

/**
 * Raises the flag on every document of `collection` that holds events without it: those written
 * before the flag existed, or by a write that bypassed `outboxPlugin`. Without it the sweep would
 * never see them. A one-off scan (`pnpm outbox:backfill`), not a query the services send.
 */
export async function raiseMissedOutboxFlags(collection: mongoose.mongo.Collection): Promise<number> {
  const raised = await collection.updateMany(
    { 'pendingEvents.0': { $exists: true }, outboxPending: { $ne: true } },
    { $set: { outboxPending: true } },
  );
  return raised.modifiedCount;
}

// biome-ignore lint/suspicious/noExplicitAny: any aggregate model with a pendingEvents array
type AggregateModel = Model<any>;

/** A document just written, with every event it holds now (as stored, e.g. from `toObject()` or a returned document). */
export interface CommittedEvents {
  model: AggregateModel;
  id: unknown;
  pendingEvents: EventEnvelope[];
}

/**
 * The one wake-up of an outbox, told right after a commit that recorded events (both relays: this
 * one and products' PostgreSQL relay). With `committed`, a MongoDB relay publishes exactly those
 * events at once and removes them from their document; without it, a relay makes a pass soon.
 */
export interface OutboxWakeUp {
  kick(committed?: CommittedEvents): void;
}

/**
 * What a service's outbox offers it: the wake-up right after a write, and `publishNow` for events
 * published before (or without) a write, where something repeats the decision until they are out.
 */
export interface Outbox extends OutboxWakeUp {
  publishNow(model: AggregateModel, documentId: unknown, events: EventEnvelope[]): Promise<void>;
}

/** The most documents one scrape reads per collection: a larger backlog shows as at least their events. */
const BACKLOG_SCAN = 10_000;

/**
 * The events waiting in `model`'s outbox, counted by the database server ($unwind and $count:
 * FerretDB 1.x has no $size) over at most `scan` documents: a scrape during a long broker outage
 * reads a bounded part of the backlog and receives one number, not every waiting event.
 */
export async function pendingEventCount(model: AggregateModel, scan = BACKLOG_SCAN): Promise<number> {
  const [row] = await model.aggregate<{ events: number }>([
    { $match: { outboxPending: true } },
    { $limit: scan },
    { $unwind: '$pendingEvents' },
    { $count: 'events' },
  ]);
  return row?.events ?? 0;
}

/** Where the MongoDB relays park events, in the aggregate's own database: one document per event. */
export const PARKED_EVENTS = 'outbox_parked';

export interface ParkedEvent {
  _id: string;
  outbox: string;
  documentId: unknown;
  reason: 'unroutable';
  event: EventEnvelope;
  parkedAt: Date;
}

const BATCH_SIZE = 100;
const LEASES = 'outbox_leases';

interface Lease {
  _id: string;
  owner: string;
  expiresAt: Date;
}

interface Pending {
  _id: unknown;
  pendingEvents: EventEnvelope[];
}

/**
 * Publishes the events of the given collections' outboxes and removes each once the broker
 * confirmed it. At least once: a crash between confirm and removal republishes, and consumers
 * deduplicate by event id.
 *
 * The write path publishes at once: a service hands the document it has just written to `kick`,
 * and its events leave (and are removed, usually in one update) without a read. The periodic
 * sweep is the fallback for what that missed (a crash, the broker away): one indexed equality on
 * `outboxPending` per collection and pass.
 *
 * Several replicas may sweep: per collection, only the holder of a lease (a document in
 * `outbox_leases`, renewed on each pass, released on stop) does, so events are normally sent once
 * and a dead replica's share is taken over after `leaseMs`. The lease is an optimization, not the
 * guarantee: where two publishers do overlap (another replica's publish right after its write, a
 * lease taken over from a replica that was only slow, or FerretDB's unlocked read–modify–write),
 * consumers absorb the duplicates.
 */
export class OutboxRelay implements Outbox {
  private readonly loop: RelayLoop;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /**
   * Documents whose events this process is publishing, right after their write or in a sweep: the
   * other leaves them, so one process does not publish the same events twice.
   */
  private readonly publishing = new Map<string, Promise<void>>();
  /**
   * Publishes after a write that have ended, numbered in order, by document: a sweep leaves a
   * document whose publish ended after the sweep read it (what it read may be sent already).
   */
  private publishesEnded = 0;
  private readonly publishEndedAs = new Map<string, number>();

  constructor(
    private readonly models: AggregateModel[],
    private readonly bus: EventBus,
    private readonly log: Logger,
    intervalMs = 1_000,
    private readonly leaseMs = 10_000,
  ) {
    this.loop = new RelayLoop(() => this.drain(), log, intervalMs);
  }

  start(): void {
    for (const model of this.models) {
      reportOutbox(model.collection.name, () => runForScrape(() => pendingEventCount(model)));
    }
    this.loop.start();
  }

  /**
   * Publishes a write's events now (the sweep is the fallback); without them, makes a pass soon.
   * While a sweep publishes the same document, the write's events are left to the next pass: the
   * sweep may have read them already.
   */
  kick(committed?: CommittedEvents): void {
    if (!committed) {
      this.loop.kick();
      return;
    }
    const { model, id, pendingEvents } = committed;
    // Published now but never swept, its events would be lost to a crash or a broker away.
    if (!this.models.includes(model)) throw new Error(`the outbox relay does not sweep ${model.collection.name}`);
    const key = `${model.collection.name}:${String(id)}`;
    if (pendingEvents.length === 0 || this.publishing.has(key) || !this.bus.isConnected()) return;
    const publishing = this.publishDocument(model, { _id: id, pendingEvents })
      .catch((error) => this.log.warn({ err: error, key }, 'publish after write failed; the outbox sweep retries'))
      .finally(() => {
        this.publishing.delete(key);
        this.publishEndedAs.set(key, ++this.publishesEnded);
      });
    this.publishing.set(key, publishing);
  }

  /**
   * Publishes events that are in no outbox, now, and throws unless the broker confirmed every one
   * (an unroutable one is parked, as `documentId`'s of `model`). For a consumer that publishes
   * before its ack, so that a redelivery repeats the decision and the publish under the same ids,
   * or for a write that something else repeats (a payment's settlement by reconciliation).
   */
  async publishNow(model: AggregateModel, documentId: unknown, events: EventEnvelope[]): Promise<void> {
    // Away: no wait for a confirm that cannot come; the caller falls back (an outbox, a retry).
    if (!this.bus.isConnected()) throw new Error('not connected to the broker');
    for (const event of events) {
      const { routed } = await this.bus.publish(event);
      if (!routed) await this.park(model, documentId, event);
    }
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.publishing.values());
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
    // Publishes that ended before this pass read anything cannot make its reads stale.
    this.publishEndedAs.clear();
    for (const model of this.models) {
      if (!(await this.holdLease(model))) continue;
      // Every published document leaves the equality, so the next batch holds the ones after it;
      // one that stays (events added meanwhile) is visited once per pass, so none starves the rest.
      const visited = new Set<string>();
      for (;;) {
        const endedBeforeRead = this.publishesEnded;
        const documents = await model
          .find({ outboxPending: true })
          .select({ pendingEvents: 1 })
          .limit(BATCH_SIZE)
          .lean<Pending[]>();
        let published = 0;
        for (const document of documents) {
          const key = `${model.collection.name}:${String(document._id)}`;
          const endedSinceRead = (this.publishEndedAs.get(key) ?? 0) > endedBeforeRead;
          if (visited.has(key) || this.publishing.has(key) || endedSinceRead) continue;
          visited.add(key);
          published++;
          const publishing = this.publishDocument(model, document);
          this.publishing.set(
            key,
            publishing.catch(() => undefined),
          );
          try {
            await publishing;
          } finally {
            this.publishing.delete(key);
          }
        }
        if (documents.length < BATCH_SIZE || published === 0) break;
      }
    }
  }

  /** Publishes a document's events in order (an unroutable one parked), then removes them from it. */
  private async publishDocument(model: AggregateModel, document: Pending): Promise<void> {
    for (const event of document.pendingEvents) {
      const { routed } = await this.bus.publish(event);
      if (!routed) await this.park(model, document._id, event);
    }
    await this.remove(model, document);
  }

  /** Keeps an event no queue was bound for aside (`outbox_parked`), so the events after it go on. */
  private async park(model: AggregateModel, documentId: unknown, event: EventEnvelope): Promise<void> {
    const outbox = model.collection.name;
    const parked = await writtenFirst(() =>
      model.db
        .collection<ParkedEvent>(PARKED_EVENTS)
        .insertOne({ _id: event.id, outbox, documentId, reason: 'unroutable', event, parkedAt: new Date() }),
    );
    // Parked before (a publish repeated after a crash): once is enough.
    if (!parked) return;
    countParkedEvents(outbox);
    this.log.error(
      { eventId: event.id, type: event.type, outbox, documentId },
      `no queue bound for event; parked in ${PARKED_EVENTS}`,
    );
  }

  /**
   * Empties the outbox of a document that holds exactly these events, in one update that also
   * lowers its flag; when more were added meanwhile, removes these ones only and leaves the flag.
   * Publishing changes nothing the aggregate's readers see, so its updatedAt stays.
   */
  private remove(model: AggregateModel, document: Pending): Promise<void> {
    return withDocumentLock(model.collection.name, document._id, async () => {
      const emptied = await model.updateOne(
        { _id: document._id, pendingEvents: document.pendingEvents },
        { $set: { pendingEvents: [] }, $unset: { outboxPending: 1 } },
        { timestamps: false },
      );
      if (emptied.matchedCount > 0) return;
      // FerretDB 1.x's $pull matches whole values only: the stored elements, as read back.
      const ids = new Set(document.pendingEvents.map((event) => event.id));
      const current = await model.findById(document._id).select({ pendingEvents: 1 }).lean<Pending>();
      for (const event of current?.pendingEvents ?? []) {
        if (!ids.has(event.id)) continue;
        await model.updateOne({ _id: document._id }, { $pull: { pendingEvents: event } }, { timestamps: false });
      }
      // Nothing left (the sweep found a flag whose events are gone): the flag goes too.
      await model.updateOne(
        { _id: document._id, pendingEvents: [] },
        { $unset: { outboxPending: 1 } },
        { timestamps: false },
      );
    });
  }

  /** Takes or renews this collection's lease; false while another live relay holds it. */
  private async holdLease(model: AggregateModel): Promise<boolean> {
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
