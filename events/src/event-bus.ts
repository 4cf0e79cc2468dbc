import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { EventDefinition, EventEnvelope } from './envelope.js';

export interface EventBusOptions {
  url: string;
  exchange: string;
  log: Logger;
  /** Names this process's connection in the RabbitMQ management UI. */
  connectionName: string;
}

export interface SubscribeOptions {
  /** Durable queue name; with `exclusive`, a prefix for a per-process queue that dies with the process. */
  queue: string;
  // biome-ignore lint/suspicious/noExplicitAny: a consumer lists events of different payload types
  events: EventDefinition<string, any>[];
  handler: (event: EventEnvelope) => Promise<void>;
  exclusive?: boolean;
  prefetch?: number;
}

const PUBLISH_TIMEOUT_MS = 5_000;

/**
 * RabbitMQ through amqp-connection-manager, which reconnects and re-runs each channel's
 * setup (exchanges, queues, bindings, consumers) after every reconnect.
 */
export class EventBus {
  private readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private readonly consumers: ChannelWrapper[] = [];

  constructor(private readonly options: EventBusOptions) {
    const { log } = options;
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 10,
      reconnectTimeInSeconds: 1,
      connectionOptions: { clientProperties: { connection_name: options.connectionName } },
    });
    this.connection.on('connect', () => log.info('rabbitmq connected'));
    this.connection.on('disconnect', ({ err }) => log.warn({ err }, 'rabbitmq disconnected'));
    this.connection.on('connectFailed', ({ err }) => log.warn({ err }, 'rabbitmq connection failed'));
    this.publisher = this.connection.createChannel({
      confirm: true,
      publishTimeout: PUBLISH_TIMEOUT_MS,
      setup: (channel: ConfirmChannel) => this.assertExchanges(channel),
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
    },
  };

  /** Resolves once the broker has confirmed the message (persistent, on a durable exchange). */
  async publish(event: EventEnvelope): Promise<void> {
    await this.publisher.publish(this.options.exchange, event.type, Buffer.from(JSON.stringify(event)), {
      persistent: true,
      contentType: 'application/json',
      messageId: event.id,
      type: event.type,
      timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
    });
  }

  async subscribe(options: SubscribeOptions): Promise<void> {
    const { log } = this.options;
    const definitions = new Map(options.events.map((definition) => [definition.type, definition]));
    const queue = options.exclusive ? `${options.queue}.${process.pid}.${Date.now().toString(36)}` : options.queue;
    const channel = this.connection.createChannel({
      setup: async (raw: Channel) => {
        await this.assertExchanges(raw);
        await this.assertQueue(raw, queue, options.exclusive ?? false);
        for (const type of definitions.keys()) await raw.bindQueue(queue, this.options.exchange, type);
        await raw.prefetch(options.prefetch ?? 10);
      },
    });
    // A refused declaration (e.g. a queue that exists with other arguments) must be loud, not fatal.
    channel.on('error', (error) => log.error({ err: error, queue }, 'consumer channel failed'));
    this.consumers.push(channel);
    const onMessage = async (message: ConsumeMessage) => {
      const definition = definitions.get(message.fields.routingKey);
      const parsed = definition?.schema.safeParse(safeJson(message.content));
      if (!parsed?.success) {
        // A message no retry can fix goes straight to the dead-letter queue.
        log.error({ queue, routingKey: message.fields.routingKey, issues: parsed?.error.issues }, 'invalid event');
        channel.nack(message, false, false);
        return;
      }
      try {
        await options.handler(parsed.data);
        channel.ack(message);
      } catch (error) {
        log.error({ err: error, queue, eventId: parsed.data.id, type: parsed.data.type }, 'event handler failed');
        channel.nack(message, false, false);
      }
    };
    await channel.consume(queue, (message) => void onMessage(message), { noAck: false });
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.close()));
    await this.publisher.close();
    await this.connection.close();
  }

  private async assertExchanges(channel: Channel): Promise<void> {
    await channel.assertExchange(this.options.exchange, 'topic', { durable: true });
  }

  private async assertQueue(channel: Channel, queue: string, exclusive: boolean): Promise<void> {
    if (exclusive) {
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
      return;
    }
    // Dead letters go through the default exchange straight to `<queue>.dlq`, so a queue's
    // arguments depend on its own name only, whatever exchange it is bound to.
    const deadLetters = `${queue}.dlq`;
    await channel.assertQueue(deadLetters, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters },
    });
  }
}

function safeJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}
