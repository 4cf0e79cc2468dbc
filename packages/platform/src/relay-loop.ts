import type { Logger } from './logger.js';
import { runPeriodic } from './mongo-commands.js';
import { outsideAnyTrace } from './tracing.js';

/**
 * The schedule every outbox relay (and other periodic job, e.g. payment reconciliation) shares: a
 * pass every `intervalMs` (to pick up what a crashed relay left behind), another on `kick()` right
 * after a write, never two passes at once, and a kick during a pass runs one more pass after it. A
 * failed pass is logged and retried later.
 */
export class RelayLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly log: Logger,
    private readonly intervalMs: number,
    /** Names the job in the log line of a failed pass. */
    private readonly name = 'outbox relay',
  ) {}

  start(): void {
    this.timer = setInterval(() => this.run(true), this.intervalMs);
    this.run(true);
  }

  kick(): void {
    this.run(false);
  }

  /** `scheduled`: a pass of the schedule, whose database commands count as periodic. */
  private run(scheduled: boolean): void {
    if (this.running) {
      if (!scheduled) this.again = true;
      return;
    }
    const pass = scheduled ? () => runPeriodic(this.pass) : this.pass;
    // Detached from the caller's trace: each event's publish continues the trace it was recorded in.
    this.running = outsideAnyTrace(pass)
      .catch((error) => this.log.warn({ err: error }, `${this.name} will retry`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
