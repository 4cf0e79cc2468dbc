import { randomUUID } from 'node:crypto';
import { type Logger, runPeriodic } from '@shop/platform';
import type { OrderService, SweepResult } from './order.service.js';

/** Both in milliseconds (see config.ts). */
export interface OrderExpirySettings {
  ORDER_PAYMENT_TIMEOUT: number;
  ORDER_EXPIRY_INTERVAL: number;
}

/**
 * Runs the unpaid-order sweep on a timer in every replica; the service makes concurrent sweeps
 * safe, so no leader election is needed. A sweep never overlaps the previous one in this process.
 */
export class OrderExpiryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult | undefined> | undefined;

  constructor(
    private readonly orders: OrderService,
    private readonly settings: OrderExpirySettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void runPeriodic(() => this.runOnce()), this.settings.ORDER_EXPIRY_INTERVAL);
    this.timer.unref();
  }

  /** One sweep now (also what the timer runs); undefined when a sweep is already running. */
  runOnce(now = new Date()): Promise<SweepResult | undefined> {
    if (this.running) return Promise.resolve(undefined);
    const requestId = `expiry-${randomUUID()}`;
    const ctx = { requestId, log: this.log.child({ requestId }) };
    this.running = this.orders
      .sweepUnpaid(ctx, new Date(now.getTime() - this.settings.ORDER_PAYMENT_TIMEOUT))
      .catch((error) => {
        ctx.log.warn({ err: error }, 'order expiry sweep failed; the next one retries');
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
