import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import type { Logger } from 'pino';

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;

/**
 * Reopens the channels the broker closes while the connection stays up: a declaration it refuses (a
 * provisioned exchange not there yet), a consumer whose queue was deleted (consuming again fails
 * with 404), an ack past the broker's consumer timeout. amqp-connection-manager reopens channels
 * only when it reconnects. Left to itself, amqplib closes the whole connection over such a channel
 * error, so the bus reconnected at once and every second while the cause lasted, and readiness
 * flickered. Here the error is heard, and a channel closed on a live connection forces a reconnect
 * (which sets every channel up again) after 1 s, doubling to 30 s while the cause lasts. A channel
 * counts as down from its creation, and from each opening, until its set-up completes; readiness
 * fails while any is down.
 */
export class ChannelRecovery {
  /** Counts connections, so that a channel's own close is told apart from its connection's. */
  private connections = 0;
  private readonly down = new Set<string>();
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The connection the pending timer was set for. */
  private timerConnection = 0;
  private stopped = false;

  constructor(
    private readonly manager: AmqpConnectionManager,
    private readonly log: Logger,
  ) {
    manager.on('connect', () => {
      this.connections++;
    });
  }

  /** A channel just created: down until its first set-up. */
  created(name: string): void {
    this.down.add(name);
  }

  /** First step of a channel's set-up: the channel is down until `setUp`, and its close is heard. */
  opened(name: string, channel: Channel): void {
    const connection = this.connections;
    this.down.add(name);
    // Heard, or amqplib closes the whole connection over it, at once and over again while the cause lasts.
    channel.on('error', (error: Error) => this.log.warn({ err: error, channel: name }, 'channel closed by the broker'));
    channel.once('close', () => this.closed(name, connection));
  }

  /** Last step of a channel's set-up. */
  setUp(name: string): void {
    this.down.delete(name);
    if (this.down.size === 0) this.failures = 0;
  }

  /** For readiness: throws while a channel is down. */
  check(): void {
    if (this.down.size > 0) throw new Error(`channel not set up: ${[...this.down].join(', ')}`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private closed(name: string, connection: number): void {
    this.down.add(name);
    if (this.stopped) return;
    if (this.timer) {
      // A timer for a connection since replaced would find it gone and do nothing: a channel that
      // failed again on the new one (the cause outlasted the reconnect) sets its own.
      if (connection <= this.timerConnection) return;
      clearTimeout(this.timer);
    }
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(this.failures++, 10));
    this.timerConnection = connection;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A lost connection closes its channels too; the manager reconnects on its own then.
      if (this.stopped || connection !== this.connections || !this.manager.isConnected()) return;
      this.log.warn({ channels: [...this.down], afterMs: delay }, 'reconnecting to set channels up again');
      this.manager.reconnect();
    }, delay);
    this.timer.unref();
  }
}
