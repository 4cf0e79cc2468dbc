import { randomUUID } from 'node:crypto';
import type { Logger } from './logger.js';
import { runPeriodic } from './mongo-commands.js';
import { outsideAnyTrace } from './tracing.js';

/** What work outside any request runs with: a request id of its own, on its log lines and calls. */
export interface SystemContext {
  requestId: string;
  log: Logger;
}

export interface PeriodicJobOptions<T> {
  /** Names the job in the log line of a failed pass. */
  name: string;
  intervalMs: number;
  log: Logger;
  /**
   * One pass; `now` is the time the pass is for (tests pass a later one). `ctx` names the pass in
   * logs and calls: a request id made of the job's name and a fresh UUID.
   */
  pass: (now: Date, ctx: SystemContext) => Promise<T>;
}

/**
 * The one schedule every periodic job shares (outbox relays, expiry sweeps, reconciliation, purges):
 * a pass on `start()` and every `intervalMs` after, another on `kick()` (a kick during a pass runs
 * one more pass after it), never two passes at once in a process, and a failed pass logged and
 * left to the next one. `stop()` (a shutdown step) ends the schedule and waits for a pass in progress.
 */
export class PeriodicJob<T = void> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T | undefined> | undefined;
  private again = false;
  /** Set by stop(): a kick after it (a request or handler outliving the drain) starts no pass. */
  private stopped = false;

  constructor(private readonly options: PeriodicJobOptions<T>) {}

  start(): void {
    this.stopped = false;
    this.timer ??= setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    this.tick();
  }

  /** A pass now, or one more right after the pass in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.runOnce();
  }

  /** One pass now; undefined when a pass is already running or this one failed. */
  runOnce(now = new Date()): Promise<T | undefined> {
    return this.run(() => this.pass(now));
  }

  /** The schedule's pass: skipped while one runs; its database commands count as periodic, not per request. */
  private tick(): void {
    void this.run(() => runPeriodic(() => this.pass(new Date())));
  }

  private pass(now: Date): Promise<T> {
    const { name, log } = this.options;
    const requestId = `${name.replaceAll(' ', '-')}-${randomUUID()}`;
    return this.options.pass(now, { requestId, log: log.child({ requestId }) });
  }

  private run(pass: () => Promise<T>): Promise<T | undefined> {
    if (this.running) return Promise.resolve(undefined);
    const { log, name } = this.options;
    // Detached from the caller's trace: each event's publish continues the trace it was recorded in.
    this.running = outsideAnyTrace(pass)
      .catch((error): undefined => {
        log.warn({ err: error, job: name }, `${name} failed; the next pass retries`);
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
    return this.running;
  }

  /** Stops the schedule and waits for a pass in progress; no kick starts another until `start()`. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.again = false;
    await this.running;
  }
}
