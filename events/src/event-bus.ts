import { randomUUID } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { inSpan } from '@shop/telemetry';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { ChannelRecovery } from './channel-recovery.js';
import { type ConsumerRules, type Outcome, type Settle, settleDelivery } from './delivery-settlement.js';
import type { EventDefinition, EventEnvelope } from './envelope.js';
import { DEAD_LETTER_REASONS, eventMetrics, reportBrokerConnection } from './event-metrics.js';
import { migrateLegacyQueues } from './legacy-queues.js';
import { forwardedProperties } from './message-mover.js';
import { messagingAttributes } from './messaging-attributes.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, runsBefore } from './retry-policy.js';
import { assertConsumerQueues, historyOf, movesExchangeName, workQueueName } from './topology.js';

export interface EventBusOptions {
  url: string;
  exchange: string;
  log: Logger;
  /** Names this process's connection in the RabbitMQ management UI. */
  connectionName: string;
  /** Retry ladder of every durable consumer of this bus (defaults: DEFAULT_RETRY_POLICY). */
  retry?: Partial<RetryPolicy>;
  /**
   * Whether a handler's error means a dependency did not answer (its database, a service it
   * calls): such a failure waits on the ladder without using up an attempt, for up to
   * `outagePatienceMs`. Without it, every failure uses one.
   */
  outage?: (error: unknown) => boolean;
  /**
   * The exchange was declared by provisioning (deploy/rabbitmq/service-users.sh): the bus only checks
   * that it exists, so its user needs no configure permission on it, which would let it delete or
   * redeclare the exchange every service publishes to. Otherwise (development, tests) the bus declares it.
   */
  exchangeProvisioned?: boolean;
}

export interface SubscribeOptions {
  /** Durable queue name; with `exclusive`, the prefix of a queue of this subscription's own that dies with the process. */
  queue: string;
  // biome-ignore lint/suspicious/noExplicitAny: a consumer lists events of different payload types
  events: EventDefinition<string, any>[];
  /** Must be idempotent: a message can arrive more than once (redelivery, relay replicas, replays). */
  handler: (event: EventEnvelope) => Promise<void>;
  /** Fan-out consumers (e.g. the gateway's subscriptions): no retries, a failure drops the message. */
  exclusive?: boolean;
  prefetch?: number;
  /**
   * Called each time the consumer is set up again after its connection (or channel) to the broker
   * was lost: an exclusive queue dies with the connection, so what was published meanwhile missed it.
   */
  onRestored?: () => void;
  /** Called each time the consumer is set up, the first time included: from now on nothing is missed. */
  onBound?: () => void;
}

export interface SettledDelivery {
  /** The consumer's queue as subscribed (without a fan-out queue's per-process suffix). */
  queue: string;
  eventId: string | undefined;
  type: string | undefined;
  outcome: Outcome;
}

export interface PublishResult {
  /** False when no queue was bound to the routing key (a mandatory publish returned by the broker). */
  routed: boolean;
}

const PUBLISH_TIMEOUT_MS = 5_000;
/** How long stopConsuming waits for handlers in flight: 2 s of onShutdown's 10 s remain for closing connections. */
const DRAIN_TIMEOUT_MS = 8_000;

/**
 * RabbitMQ through amqp-connection-manager, which reconnects and re-runs each channel's
 * setup (exchanges, queues, bindings, consumers) after every reconnect. Publishes are
 * persistent and mandatory on a confirm channel; each durable consumer has a quorum queue,
 * a retry ladder of delay queues and a dead-letter queue (see topology.ts).
 */
export class EventBus {
  private readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private readonly consumers: ChannelWrapper[] = [];
  private readonly recovery: ChannelRecovery;
  /** Message ids the broker returned as unroutable, read right after their confirm. */
  private readonly returned = new Set<string>();
  private readonly retry: RetryPolicy;
  /** Takes this bus out of `events_broker_connected` (on close). */
  private readonly unreport: () => void;
  /** Handlers running now: shutdown lets them finish (and ack) before the channels close. */
  private readonly handling = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;
  private readonly settledListeners = new Set<(delivery: SettledDelivery) => void>();
  /** Durable consumers whose v1 queues this process has not moved yet (see migrateLegacyQueues). */
  private readonly unmigrated: { queue: string; eventTypes: string[] }[] = [];

  constructor(private readonly options: EventBusOptions) {
    const { log } = options;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 10,
      reconnectTimeInSeconds: 1,
      connectionOptions: { clientProperties: { connection_name: options.connectionName } },
    });
    this.connection.on('connect', () => log.info('rabbitmq connected'));
    this.connection.on('disconnect', ({ err }) => log.warn({ err }, 'rabbitmq disconnected'));
    this.connection.on('connectFailed', ({ err }) => log.warn({ err }, 'rabbitmq connection failed'));
    this.recovery = new ChannelRecovery(this.connection, log);
    this.recovery.created('publisher');
    this.publisher = this.connection.createChannel({
      confirm: true,
      publishTimeout: PUBLISH_TIMEOUT_MS,
      setup: async (channel: ConfirmChannel) => {
        this.recovery.opened('publisher', channel);
        // The broker sends basic.return before the confirm of the same message.
        channel.on('return', (message: ConsumeMessage) => {
          const id = message.properties.messageId as string | undefined;
          if (id) this.returned.add(id);
          log.warn({ eventId: id, routingKey: message.fields.routingKey }, 'event unroutable: no queue bound');
        });
        await this.assertExchanges(channel);
        this.recovery.setUp('publisher');
      },
    });
    // amqp-connection-manager reports a failed channel set-up (e.g. the connection closing while it
    // declares the exchange) as an 'error' event: without a listener, that emit throws inside its
    // reconnect handler and surfaces as an unhandled rejection. The manager retries on reconnect.
    this.publisher.on('error', (error) => log.error({ err: error }, 'publisher channel failed'));
    this.unreport = reportBrokerConnection(() => {
      try {
        this.readiness.check();
        return true;
      } catch {
        return false;
      }
    });
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** For /health/ready. */
  readonly readiness = {
    name: 'rabbitmq',
    check: () => {
      if (!this.isConnected()) throw new Error('not connected');
      this.recovery.check();
    },
  };

  /**
   * Resolves once the broker has confirmed the message (persistent, mandatory, on a durable exchange).
   * A producer span continues the trace the event was recorded in (its `traceContext`; the active
   * one otherwise) and travels in the message's headers, where retries and consumers find it.
   */
  async publish(event: EventEnvelope): Promise<PublishResult> {
    const { exchange } = this.options;
    const parent = event.traceContext ? propagation.extract(ROOT_CONTEXT, event.traceContext) : context.active();
    const attributes = { ...messagingAttributes('send', exchange, event.type), 'messaging.message.id': event.id };
    return inSpan(`publish ${event.type}`, SpanKind.PRODUCER, attributes, parent, async (span) => {
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      const { id, type, occurredAt, version, data } = event;
      this.returned.delete(id);
      await this.publisher.publish(
        exchange,
        type,
        Buffer.from(JSON.stringify({ id, type, occurredAt, version, data })),
        {
          persistent: true,
          mandatory: true,
          contentType: 'application/json',
          messageId: id,
          type,
          timestamp: Math.floor(Date.parse(occurredAt) / 1000),
          headers,
        },
      );
      const routed = !this.returned.delete(id);
      if (routed) eventMetrics.published.inc({ type });
      else span.setAttribute('shop.event.unroutable', true);
      return { routed };
    });
  }

  /**
   * Calls `listener` each time a consumer of this bus has settled a delivery. It is how a caller
   * learns that a message was processed when processing must change nothing (tests' sentinels,
   * operators' tools); returns the unsubscribe function.
   */
  onSettled(listener: (delivery: SettledDelivery) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  async subscribe(options: SubscribeOptions): Promise<void> {
    const { log } = this.options;
    const retry = this.retry;
    const exclusive = options.exclusive ?? false;
    const definitions = new Map(options.events.map((definition) => [definition.type, definition]));
    const queue = exclusive
      ? // Unique per subscription: replicas in containers share a pid (1) and may start in the same ms.
        `${options.queue}.${randomUUID().slice(0, 8)}`
      : workQueueName(options.queue);
    const moves = movesExchangeName(options.queue);
    // The channel of the current connection: a message is acked on the channel it came from, never
    // on its successor (a stale delivery tag would close the new channel).
    let current: Channel | undefined;
    let setUp = false;
    // Each reason's series exists from the start: Prometheus' increase() does not count a first sample.
    if (!exclusive) {
      for (const reason of DEAD_LETTER_REASONS) eventMetrics.deadLettered.inc({ queue: options.queue, reason }, 0);
      eventMetrics.outageRetried.inc({ queue: options.queue }, 0);
    }
    this.recovery.created(queue);
    const channel = this.connection.createChannel({
      setup: async (raw: Channel) => {
        current = raw;
        this.recovery.opened(queue, raw);
        await this.assertExchanges(raw);
        if (exclusive) await raw.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
        else await assertConsumerQueues(raw, options.queue, retry.maxAttempts - 1);
        for (const type of definitions.keys()) await raw.bindQueue(queue, this.options.exchange, type);
        await raw.prefetch(options.prefetch ?? 10);
        // Bound again: from here on nothing is missed, so what the gap lost can be made up now.
        this.recovery.setUp(queue);
        options.onBound?.();
        if (setUp) options.onRestored?.();
        setUp = true;
      },
    });
    // A refused declaration (e.g. a queue that exists with other arguments) must be loud, not fatal.
    channel.on('error', (error) => log.error({ err: error, queue }, 'consumer channel failed'));
    this.consumers.push(channel);

    const rules: ConsumerRules = {
      name: options.queue,
      queue,
      exclusive,
      definitions,
      handler: options.handler,
      retry,
      outage: this.options.outage,
      log,
      move: (message, routingKey, settle, headers, expiration) =>
        this.forward(message, { exchange: moves, routingKey }, settle, headers, expiration),
    };
    const handle = async (message: ConsumeMessage, raw: Channel | undefined) => {
      const outcome = await settleDelivery(rules, message, raw);
      const { messageId, type } = message.properties;
      this.reportSettled({ queue: options.queue, eventId: messageId as string | undefined, type, outcome });
    };
    // A consumer span per delivery, child of the publish whose context the headers carry (kept through retries).
    const onMessage = (message: ConsumeMessage, raw: Channel | undefined) => {
      const { headers, messageId, type } = message.properties;
      const eventType = String(type ?? message.fields.routingKey);
      const attributes = {
        ...messagingAttributes('process', this.options.exchange, eventType),
        // The consumer's name, as in metrics and processed events (the work queue is `<name>.v2`).
        'messaging.destination.subscription.name': options.queue,
        'messaging.message.id': messageId as string | undefined,
        'shop.event.attempt': runsBefore(historyOf(headers)) + 1,
      };
      const parent = propagation.extract(ROOT_CONTEXT, headers ?? {});
      return inSpan(`process ${eventType}`, SpanKind.CONSUMER, attributes, parent, () => handle(message, raw));
    };
    await channel.consume(queue, (message) => this.track(onMessage(message, current)), { noAck: false });
    if (!exclusive) this.unmigrated.push({ queue: options.queue, eventTypes: [...definitions.keys()] });
  }

  /**
   * A start-up step, once per process after its subscriptions: moves what the v1 queues of each
   * durable consumer subscribed so far still hold into its current queues (legacy-queues.ts).
   * Never throws; a consumer whose move failed or was skipped is tried again at the next start.
   * Returns how many messages moved.
   */
  async migrateLegacyQueues(): Promise<number> {
    const { exchange, url, log } = this.options;
    let moved = 0;
    for (const { queue, eventTypes } of this.unmigrated.splice(0)) {
      moved += await migrateLegacyQueues({
        url,
        queue,
        exchange,
        eventTypes,
        retrySteps: this.retry.maxAttempts - 1,
        log,
      });
    }
    return moved;
  }

  /**
   * Graceful stop, first step of shutdown: cancels every consumer (the broker sends no more; what
   * it holds stays queued for other replicas), then waits for the handlers in flight to finish and
   * settle their messages, for at most DRAIN_TIMEOUT_MS. A handler still running then keeps its
   * message unacked, and the broker redelivers it once `close()` closes the channel. Publishing
   * still works until `close()`. Idempotent.
   */
  stopConsuming(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.consumers.map((consumer) => consumer.cancelAll().catch(() => undefined)));
      this.options.log.info({ handlers: this.handling.size }, 'consumers cancelled; finishing the messages in hand');
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      // A delivery already on the wire when the cancel went out still starts a handler: loop until none runs.
      while (this.handling.size > 0 && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...this.handling]), sleep(deadline - Date.now())]);
      }
      if (this.handling.size > 0) {
        this.options.log.warn(
          { handlers: this.handling.size },
          'handlers still running; their messages will be redelivered',
        );
      }
    })();
    return this.stopping;
  }

  async close(): Promise<void> {
    this.unreport();
    this.recovery.stop();
    await this.stopConsuming();
    await Promise.all(this.consumers.map((consumer) => consumer.close()));
    await this.publisher.close();
    await this.connection.close();
  }

  /**
   * Moves a message to a retry or dead-letter queue through the consumer's moves exchange: confirmed
   * copy first, then the ack. A crash in between leaves both, and the idempotent handler absorbs the
   * duplicate; a failed or unroutable copy requeues the original (the quorum queue's delivery limit
   * bounds even that). True once the copy is confirmed and routed.
   */
  private async forward(
    message: ConsumeMessage,
    target: { exchange: string; routingKey: string },
    settle: Settle,
    headers: Record<string, unknown>,
    expiration?: string,
  ): Promise<boolean> {
    const publishOptions = forwardedProperties(message.properties, headers, expiration);
    const id = publishOptions.messageId;
    if (id) this.returned.delete(id);
    try {
      await this.publisher.publish(target.exchange, target.routingKey, message.content, {
        ...publishOptions,
        mandatory: true,
      });
      if (id && this.returned.delete(id))
        throw new Error(`nothing bound to ${target.routingKey} in ${target.exchange}`);
      settle((ch) => ch.ack(message));
      return true;
    } catch (error) {
      this.options.log.error({ err: error, target }, 'could not move a failed message; requeued');
      // A reject, not a nack: from RabbitMQ 4.3 only basic.reject counts toward the delivery limit.
      settle((ch) => ch.reject(message, true));
      return false;
    }
  }

  private reportSettled(delivery: SettledDelivery): void {
    for (const listener of this.settledListeners) {
      try {
        listener(delivery);
      } catch (error) {
        this.options.log.error({ err: error }, 'settled-delivery listener failed');
      }
    }
  }

  private track(handling: Promise<void>): void {
    this.handling.add(handling);
    void handling.finally(() => this.handling.delete(handling));
  }

  private async assertExchanges(channel: Channel): Promise<void> {
    const { exchange, exchangeProvisioned } = this.options;
    // A missing provisioned exchange fails the set-up (404), logged like any refused declaration.
    if (exchangeProvisioned) await channel.checkExchange(exchange);
    else await channel.assertExchange(exchange, 'topic', { durable: true });
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref());
