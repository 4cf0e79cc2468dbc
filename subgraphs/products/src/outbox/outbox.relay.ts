import type { EventBus, EventEnvelope } from '@shop/events';
import { countParkedEvents, type Logger, RelayLoop, reportOutbox } from '@shop/platform/core';
import type { OutboxWakeUp } from '@shop/platform/mongo';
import type { Prisma, ProductsDb } from '../product/product.model.js';

export interface PostgresOutboxRelayOptions {
  /** Poll period: picks up what a crashed relay (of any replica) left behind. */
  intervalMs?: number;
  batchSize?: number;
}

/** A batch is published inside its transaction: room for the broker's confirms (5 s each at worst). */
const TRANSACTION = { maxWait: 10_000, timeout: 30_000 };
/** The most rows one scrape counts: a larger backlog shows as this many (as the MongoDB relays' scan). */
const BACKLOG_SCAN = 10_000;

/**
 * Publishes `outbox_events` to RabbitMQ, at least once. Each batch is one transaction: rows are
 * locked with `FOR UPDATE SKIP LOCKED` (so relays of several replicas share the table without
 * waiting on each other), published with publisher confirms, then deleted. A relay that dies
 * mid-batch rolls back with its connection: its rows are unlocked and the next pass of any
 * relay publishes them again (consumers deduplicate by event id). An event no queue was bound for
 * is parked in `outbox_parked` in the same transaction, logged at error and counted, as the
 * MongoDB relays park theirs.
 */
export class PostgresOutboxRelay implements OutboxWakeUp {
  private readonly loop: RelayLoop;
  private readonly batchSize: number;

  constructor(
    private readonly db: ProductsDb,
    private readonly bus: Pick<EventBus, 'publish' | 'isConnected'>,
    private readonly log: Logger,
    options: PostgresOutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.loop = new RelayLoop(() => this.drain(), log, options.intervalMs ?? 1_000);
  }

  start(): void {
    reportOutbox('outbox_events', () => this.backlog());
    this.loop.start();
  }

  /** Called right after a commit that recorded events, so they leave without waiting for the poll. */
  kick(): void {
    this.loop.kick();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Publishes batches until the table holds nothing this relay may take. */
  async drain(): Promise<void> {
    if (!this.bus.isConnected()) return;
    while ((await this.publishBatch()) === this.batchSize);
  }

  /** The events waiting in the table, counted over at most BACKLOG_SCAN rows. */
  private async backlog(): Promise<number> {
    const [row] = await this.db.$queryRaw<{ events: number }[]>`
      SELECT count(*)::int AS events FROM (SELECT 1 FROM outbox_events LIMIT ${BACKLOG_SCAN}) AS waiting`;
    return row?.events ?? 0;
  }

  /** One batch, oldest first; the number of events published. */
  private publishBatch(): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; envelope: EventEnvelope }[]>`
        SELECT id, envelope FROM outbox_events
        ORDER BY occurred_at, id
        LIMIT ${this.batchSize}
        FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      // One confirm channel keeps the order of these publishes; their confirms are awaited together.
      const results = await Promise.all(rows.map((row) => this.bus.publish(row.envelope)));
      const unroutable = rows.filter((_, i) => !results[i]?.routed);
      if (unroutable.length > 0) {
        const { count } = await tx.outboxParkedEvent.createMany({
          data: unroutable.map((row) => ({
            id: row.id,
            type: row.envelope.type,
            envelope: row.envelope as unknown as Prisma.InputJsonObject,
            reason: 'unroutable',
          })),
          skipDuplicates: true,
        });
        countParkedEvents('outbox_events', count);
        for (const row of unroutable) {
          this.log.error(
            { eventId: row.id, type: row.envelope.type, outbox: 'outbox_events' },
            'no queue bound for event; parked in outbox_parked',
          );
        }
      }
      await tx.outboxEvent.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } });
      return rows.length;
    }, TRANSACTION);
  }
}
